### Messages of tongban-interact for people, in Chinese. Each id is a code the crate's
### msg!("…") names; every id is in every language (the crate's tests check it).

only-submitter-may-rate = 只有提交人可以评价
only-unsatisfied-rating-may = 只有不满意时可以要求重新办理
item-can-reopened-only = 每件诉求只能重新办理一次
already-rated = 已评价过
not-permitted-see-rectification = 无权查看整改清单
rectification-already-done = 该整改事项已完成
choice-needs-2-max = 选项应为2–{ $max_options }个
answer-does-not-fit = 答案与题型不符
rating-1-5 = 评分应为1–5
most-max-answer-characters = 回答不得超过{ $max_answer }字
sign-verified-citizen-business = 请以实名个人或企业账号登录后作答
survey-has-1-max = 问题应为1–{ $max_questions }个
closing-day-cannot-before = 截止日期不能早于开始日期
survey-not-open-answers = 问卷不在作答期内
no-such-question = 没有这道题
you-have-already-answered = 您已作答过此问卷
submitted = 提交时间
item-not-public = 该诉求未公开
not-permitted-run-escalations = 无权执行超期督办
not-permitted-see-escalations = 无权查看督办记录
already-acknowledged = 已确认过
please-sign = 请先登录
draft-has-1-200 = 草案应有1–200节
consultation-not-open-comments = 意见征集不在征求期内
no-such-section = 没有这一节
you-have-already-reported = 您已举报过这条意见
comment-not-waiting-review = 这条意见不在待审核状态
no-such-group-comments = 没有这组意见
give-reason-when-not = 未采纳或部分采纳须说明理由
not-permitted-see-possible = 无权查看疑似重复诉求
item-cannot-merged-into = 不能与自身合并
no-such-item-merge = 合并目标不存在
target-was-itself-merged = 合并目标本身已被合并
field-not-decryptable = 加密字段无法解密
item-was-changed-meanwhile = 该诉求已被他人处理，请刷新
not-permitted-reply-item = 无权答复此诉求
reply-cannot-approved-own = 不能审核自己拟写的答复
reply-not-awaiting-review = 该答复不在待审核状态
cannot-transfer-same-department = 不能转办给本部门
cannot-ask-same-department = 不能请本部门协办
department-was-already-asked = 已请该部门协办，尚未回复
request-was-already-answered = 该协办请求已回复
unknown-category = 未知的诉求分类
category-code-taken = 该分类编码已存在
limit-1-max-limit = 时限须为1–{ $max_limit_days }个工作日
not-permitted-see-routing = 无权查看分办规则
staff-accounts-cannot-submit = 工作人员账号不能提交诉求，请通过热线渠道录入
without-signing-only-suggestions = 未登录只能提交建议，请登录后提交
not-permitted-see-items = 无权查看诉求
anonymous-submission-needs-source = 匿名提交须带来源标识
not-permitted-see-item = 无权查看此诉求
only-handling-department-may = 只有承办部门可以办理此诉求
not-permitted-see-assistance = 无权查看协办记录
not-permitted-enter-holiday = 无权录入节假日安排
most-mark-limit-time = 一次最多{ $mark_limit }条
read-changed-notifications = 已读 { $changed } 条消息
number-has-moved = 【通办】诉求 { $number } 有新进展
most-max-attachments-attachments = 最多上传 { $max_attachments } 个附件
attachment-cannot-decrypted = 附件无法解密
category-code-1-64 = 分类编码须为1–64位字母、数字或 _ . -
district-code-most-32 = 区县编码须为最多32位字母、数字或 -
malformed-department-path = 部门路径格式错误
latitude-between-90-90 = 纬度须在 -90 到 90 之间（WGS84）
longitude-between-180-180 = 经度须在 -180 到 180 之间（WGS84）
latitude-needs-longitude = 给出纬度时须同时给出经度
longitude-needs-latitude = 给出经度时须同时给出纬度
not-valid-e-mail = 不是有效的电子邮件地址
phone-number-needed-phone = 选择电话或短信联系时须填写电话号码
e-mail-address-needed = 选择电子邮件联系时须填写邮箱
service-has-no-such = 该服务没有此属性
attribute-given-twice = 属性重复
attribute-takes-one-value = 此属性只能有一个值
attribute-required = 缺少必填属性
order-positive-integer-used = 顺序须为不重复的正整数
code-used-twice = 代码重复
list-attributes-need-choices = 只有单选和多选属性有选项，且必须有
end-date-before-start = 结束时间早于开始时间
start-date-end-date = 查询时间跨度不能超过 90 天
valid-open311-api-key = 需要有效的 Open311 API 密钥
service-code-required = 必须填写
media-url-http-s = 须为 http(s) 链接
reply-within-days-working = { $days }个工作日内答复
name-1-64-z = 名称须为 1–64 个字母、数字或 _ . -
active-key-name-exists = 已有同名的有效密钥，请先吊销
issued-open311-key-name = 签发 Open311 密钥：{ $name }
revoked-open311-key-name = 吊销 Open311 密钥：{ $name }
status-forbids-rating = 诉求当前状态为“{ $status }”，不能评价
rectification-done-item-number = 完成整改：{ $item_number }
question-needs-answer = 请回答：{ $text }
published-survey = 发布问卷 { $title }
answered-survey = 回答问卷 { $title }
escalation-opened = { $level }（{ $subject }）：{ $item_number }，应于 { $due_on } 前办结
escalation-acknowledged = 确认{ $level }：{ $item_number }
opened-consultation = 发布意见征集 { $title }
commented = 对《{ $title }》第{ $section }节发表意见
reported-comment = 举报意见（共{ $reports }次）
moderated-comment = 审核意见：{ $status }
published-feedback-report = 发布《{ $title }》意见采纳情况
status-forbids-merge = 诉求当前状态为“{ $status }”，不能合并
item-moved = 您的诉求 { $number } { $what }
status-forbids-reply = 诉求当前状态为“{ $status }”，不能答复
replied-again-id = 已重新答复
status-forbids = 诉求当前状态为“{ $status }”，不能{ $verb }
path-answered-assistance-request = { $department } 回复协办请求
category-added = 新增诉求分类 { $code } { $name }
category-changed = 修改诉求分类 { $code }
set-kind2-limit-days = 设定{ $kind }办理时限 { $days } 个工作日
rule-set = 分办规则：{ $category } { $district } → { $department }
rule-removed = 删除分办规则 { $category }
rectification-due-date-changed = 整改期限由 { $old } 改为 { $new }：{ $item_number }
value-not-valid-datatype2 = 值不符合类型 { $datatype }
set-service-attributes-category = 设置服务属性：{ $category }
not-found = { $what ->
    [item] 诉求
    [category] 诉求分类
    [rule] 分办规则
    [reply] 答复
    [assist] 协办请求
    [rectification] 整改事项
    [escalation] 督办记录
    [notification] 消息
   *[other] 对象
}不存在
cannot-count-limit = 无法计算期限：{ $cause }
storage-failed = 存储错误：{ $cause }
too-many-anonymous-submissions = 匿名提交过于频繁，请一小时后再试或登录后提交
location-required = 须提供位置：lat 和 long、address_string 或 address_id
