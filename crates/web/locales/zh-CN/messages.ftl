# Messages the web layer itself refuses or rejects with (kernel::Msg codes); page texts are
# in the other files. Every code here is used by a msg!(..) in src, in both languages.

## Problems (API errors, src/problem.rs)
authentication-required = 需要登录或有效的访问令牌
not-found = 找不到该资源
service-unavailable-nothing-lost = 服务暂时不可用，已保存的数据不会丢失
request-body-too-large = 请求体超过大小限制
method-not-allowed = 不支持该请求方法
request-timed-out = 请求超时
use-application-json = 请使用 application/json
request-not-processed = 请求无法处理
title-bad-request = 请求有误
title-unauthorized = 未登录
title-forbidden = 无权访问
title-not-found = 未找到
title-method-not-allowed = 方法不允许
title-request-timeout = 请求超时
title-conflict = 冲突
title-payload-too-large = 内容过大
title-unsupported-media-type = 不支持的内容类型
title-locked = 账户已锁定
title-too-many-requests = 请求过多
title-server-error = 服务错误

## JSON bodies (src/json.rs)
send-content-type-json = 请使用 Content-Type: application/json
could-not-read-body = 无法读取请求体
malformed-json-at = JSON 格式错误（第{ $line }行第{ $column }列）
field-missing-or-mistyped = 字段缺失或类型错误

## JSON API (src/api)
exchange-api-for-systems = 共享交换接口仅供接入系统调用（客户端令牌）
push-api-for-systems = 推送接口仅供接入系统调用（客户端令牌）
token-lacks-scope = 令牌缺少权限范围 { $scope }
too-many-calls-retry-in = 调用过于频繁，请{ $wait }秒后重试
state-purpose-in-header = 须在 X-Purpose 头中说明用途
whole-number-1-to = 须为1–{ $max }的整数
version-number = 须为版本号（非负整数）
body-must-be-records = 请求体应为 {"{"}"records": [对象…]{"}"}
unknown-value = 未知的取值
not-valid-base64 = 不是有效的 base64
complete-two-step-first = 需要完成两步验证
code-is-6-digits = 动态验证码应为6位数字
limit-is-1-to = 每页条数应为1–{ $max }
offset-at-most = 起始位置不能超过{ $max }
client-tokens-expire = API 客户端令牌会自动过期
unknown-role = 未知角色
unknown-role-named = 未知角色
only-staff-hold-roles = 只有工作人员可以授予角色

## Open311 GeoReport v2 (src/open311)
malformed-what = { $what }: 格式错误
given-more-than-once = { $name }: 参数重复
what-not-found = { $what }: 不存在
service-unavailable = 服务暂时不可用
api-key-invalid-or-revoked = api_key: 无效或已吊销
open311-contact = 通办政民互动——请联系平台运维
api-keys-issued-by-operator = API 密钥由平台运维签发
citizen-interaction = 政民互动
unknown-service-code = service_code: 未知的服务代码
service-request-id-not-found = service_request_id: 不存在
token-not-found = token: 不存在
extensions-true-or-false = extensions: 须为 true 或 false
iso-8601-with-zone = { $name }: 须为带时区的 ISO 8601 时间，例 2026-01-01T00:00:00+08:00
whole-number-from-1-to = { $name }: 须为 1 到 { $max } 的整数
status-open-or-closed = status: 须为 open 或 closed
wgs84-degrees = { $name }: 须为 WGS84 度数
malformed-attribute-parameter = { $name }: 属性参数格式错误
attribute-given-twice = attribute[{ $code }]: 参数重复，多值请用 attribute[{ $code }][]
send-form-urlencoded = content-type: 请以 application/x-www-form-urlencoded 提交
api-key-required-to-file = api_key: 提交服务请求需要 API 密钥
received-reply-within = 已受理，{ $days }个工作日内答复

## Console: holiday calendar
day-must-be-in-year = 日期应在{ $year }年内
write-day-as-y-m-d = 日期格式应为 年-月-日
name-the-holiday = 请填写假期名称
holiday-name-up-to-20 = 假期名称应为20字以内的文字
last-day-before-first = 最后一天不能早于第一天
not-permitted-holiday-schedules = 无权录入节假日安排
choose-the-year = 请选择年份

## Console: cases
no-case-handling-role = 您没有办件岗位角色
no-such-user = 没有这个用户
give-number-of-working-days = 请填写工作日数
choose-why-clock-stops = 请选择中止原因
choose-what-to-do = 请选择办理结果
unknown-action = 未知操作
fill-in = 请填写{ $what }
choose-why-see-it = 请选择查看原因

## Console: approvals, data catalog, department systems, egress allow-list
only-admin-approves-admin-roles = 只有系统管理员或安全管理员可以审批管理员角色
must-belong-to-department = 需要所属部门
date-must-be-y-m-d = 日期格式应为 年-月-日
not-permitted-manage-systems = 无权管理接入系统
name-the-system = 请填写系统名称
choose-a-department = 请选择部门
give-its-scopes = 请填写权限范围
give-its-redirect-uris = 请填写回调地址
not-permitted-manage-allow-list = 无权管理出站地址白名单
say-what-it-is-for = 须写明用途

## Console: citizen interaction
choose-transfer-department = 请选择转办部门
choose-assisting-department = 请选择协办部门
interaction-rule-rights-required = 需要政民互动规则管理权限
choose-the-kind = 请选择类型
must-be-working-days = 应为工作日数
choose-the-department = 请选择部门

## Console: service items and workflows
service-item-rights-required = 需要事项管理权限
only-your-departments-items = 只能管理本部门的事项
must-be-whole-number = 应为整数
choose-kind-of-item = 请选择事项类型
shared-data-written-resource-field = 共享数据应写作 资源编码.字段编码
give-longest-text = 文本应填写最大字数
write-range-min-max = 范围应写作 最小..最大
choose-field-type = 请选择字段类型
prefill-source-written-resource-field = 预填来源应写作 资源编码.字段编码
amount-in-yuan = 金额应为元，如 12.50
validity-whole-years = 有效年限应为整数
choose-step-kind = 请选择步骤类型
choose-department-from-list = 请从列表中选择部门
give-how-many-must-agree = 按比例会签须填写同意数
limit-working-days = 时限应为工作日数

## Console: data pool (uploads, column mapping, pulls, queries)
only-provider-uploads-data = 只有提供部门可以上传数据
only-provider-sets-mapping = 只有提供部门可以设置字段映射
only-provider-configures-pulls = 只有提供部门可以配置定时抽取
interval-in-minutes = 间隔应为分钟数
choose-a-file = file: 请选择文件

## Console: staff accounts
enter-a-user-name = 请填写用户名
enter-name-to-show = 请填写显示名称
choose-first-password = 请设置初始密码

## Console: consultations and surveys
department-admin-publishes = 需要部门管理员权限
no-such-department = 部门不存在
a-date-is-y-m-d = 日期格式应为 年-月-日
block-heading-without-text = 第{ $block }段只有标题，请在标题下写正文
question-type-must-be = 第{ $line }行的题型「{ $kind }」应为 单选/多选/评分/文本
not-permitted-query-pool = 无权使用数据查询
unknown-action-field = action: 未知操作

## Console: seals, supervision, usage
seal-or-licence-rights-required = 需要印章管理或证照签发权限
must-be-date-such-as = 应为日期，如 2026-01-01
choose-kind-of-seal = 请选择印章类型
supervising-needed = 需要督办权限
date-like-yyyy-mm-dd = { $field }: 日期格式应为 YYYY-MM-DD

## Pages: requests the server cannot read
staff-role-required = 需要工作人员角色
form-could-not-be-read = 表单内容有误
address-value-unreadable = 网址中的参数有误

## Portal: sign-in, registration, activation, citizen interaction
enter-your-user-name = 请输入用户名
enter-your-password = 请输入密码
enter-your-full-name = 请填写姓名
enter-resident-id-number = 请填写居民身份证号码
choose-a-user-name = 请设置用户名
choose-a-password = 请设置密码
repeat-the-password = 请再次输入密码
passwords-differ = 两次输入的密码不一致
fill-in-your-user-name = 请填写用户名
enter-activation-code = 请填写激活码
choose-a-new-password = 请设置新密码
passwords-do-not-match = 两次输入的密码不一致
enter-a-title = 请填写标题
describe-the-matter = 请写明具体事项
