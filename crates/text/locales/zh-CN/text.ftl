### Messages of tongban-text for people, in Chinese. Each id is a code the crate's
### msg!("…") names; every id is in every language (the crate's tests check it).

not-empty = 不能为空
not-number-write-e = 不是有效的数字，应如 1234.5、1,234.5、3.5万 或 12.5%
misplaced-thousands-separators-three = 千分位分隔不正确（逗号之间应为3位数字）
number-after-unit-needs = 单位后的数字缺少单位（如 12万5 应写 12万5千）
number-too-large-too = 数值超出范围或位数过多
not-finite-number = 不是有限的数值
spreadsheet-error-value-not = 这是表格公式的错误值，不是数字
may-contain-only-digits = 只能包含数字和X
may-contain-only-digits-2 = 只能包含数字和大写字母
looks-like-spreadsheet-turned = 疑似被表格软件改成了科学计数法（如 1.10105E+17），原号码已丢失，请把该列设为文本后重新导出
contains-nul-bytes = 含空字节（NUL）
too-many-control-characters = 控制字符过多
neither-utf-8-nor = 既不是 UTF-8 也不是 GB18030 编码
gender-1-male-2 = 性别应为 1 男、2 女、0 未知、9 未说明
y-n-1-0 = 应为 是/否、Y/N、1/0 或 true/false
not-allowed-value-allowed = 不是允许的取值，应为：{ $list }
code-not-blank = 代码不能为空
not-recognised-date-write = 无法识别的日期，应如 2026-01-02 或 2026年1月2日
not-recognised-date-time = 无法识别的日期时间，应如 2026-01-02 08:30:00
date-only-expected-without = 应只填日期，不含时刻
year-1000-later = 年份应在1000年以后
no-such-time-day = 时刻不存在（时0–23，分秒0–59）
vague-phrasing-say-what = 含有空泛表述，请写明具体做法
mentions-relevant-department-without = 提到“有关部门”但未写明是哪个部门
no-concrete-next-step = 没有具体的下一步、时间或联系方式
reply-does-not-address = 答复未涉及所提问题的关键内容
contains-inappropriate-word = 含有不当用语
contains-someone-s-personal = 含有他人个人信息（身份证号、电话、姓名）
spelling-would-mean-both = “{ $spelling }”同时对应代码 { $other } 和 { $v }
not-a-text-file = 不是文本文件：{ $cause }
read-failed = 读取失败：{ $cause }
no-such-day = 日期不存在：{ $year }年{ $month }月没有{ $day }日
no-such-month = 日期不存在：没有{ $month }月
