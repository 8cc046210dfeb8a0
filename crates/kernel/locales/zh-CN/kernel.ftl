### Messages of tongban-kernel for people, in Chinese. Each id is a code the crate's
### msg!("…") names; every id is in every language (the crate's tests check it).

not-empty = 不能为空
no-control-characters = 不能包含控制字符
too-long = 不能超过{ $max }个字符
not-valid-id = 不是有效的编号
cidr-expected = 应为地址或网段，如 10.20.0.0/16
cidr-too-wide = 网段过宽，前缀至少为 /{ $min }
cidr-holds-metadata = 网段包含云平台元数据服务地址（169.254.169.254），不能放行
file-empty = 文件为空
file-too-large = 文件不得超过 { $mib } MiB
only-pdf-png-jpeg = 只接受 PDF、PNG 或 JPEG 文件
file-content-not-declared = 文件内容与声明的类型不符
image-file-damaged = 图片文件已损坏
clock-has-finished = 时限已结束
clock-already-stopped = 时限已暂停
date-before-last-clock = 日期早于上一次计时变更
resumed-before-stopped = 恢复日期早于暂停日期
clock-not-stopped = 时限未暂停
contains-non-digits = 含非数字字符
id-needs-18 = 应为18位
only-digits-and-x = 只能包含数字和X
id-first-17-digits = 前17位应为数字
birth-date-not-real = 出生日期无效
wrong-check-digit = 校验码错误
credit-code-needs-18 = 应为18位字母或数字
credit-code-bad-character = 含不允许的字符（I、O、Z、S、V不用）
wrong-check-character = 校验码错误
not-a-phone = 不是有效的手机或固定电话号码
date-format = 日期无效，请按“年-月-日”填写，如2026-01-31
date-out-range = 日期超出范围
holidays-not-entered = { $year }年节假日安排尚未录入
calendar-malformed = 节假日数据格式错误：{ $detail }
