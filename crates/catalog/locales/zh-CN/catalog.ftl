### Messages of tongban-catalog for people, in Chinese. Each id is a code the crate's
### msg!("…") names; every id is in every language (the crate's tests check it).

grant-least-one-field = 至少授权一个信息项
field-shown-was-not = 信息项“{ $shown }”不在申请范围内
row-filter-use-field = 行过滤须使用资源中的信息项
row-filter-needs-1 = 行过滤须有1–{ $max_filter_values }个值
shown-not-granted-personal = “{ $shown }”不是本次授权的个人信息项
clear-text-personal-data = 明文提供个人信息须说明用途依据
clear-text-personal-data-2 = 明文提供的个人信息不能用于查询分析，请取消“查询分析”或改为脱敏
grant-cannot-outlast-validity = 授权期限不能晚于申请的有效期
grant-run-past-today = 授权期限须晚于今天
another-grant-was-made = 同时生成了另一授权，请重试
not-permitted-see-grant = 无权查看此共享授权
not-permitted-see-grants = 无权查看共享授权
not-permitted-revoke-grant = 无权撤销此共享授权
grant-already-revoked = 该授权已撤销
detail-code-needs-item = 填写“目”之前须先填写“项”
least-one-field-required = 至少需要一个信息项
most-max-fields-fields = 信息项不能超过{ $max_fields }个
resource-not-shared-between = 不予共享的资源不能开放
resource-personal-fields-cannot = 含个人信息项的资源不能无条件开放
most-50-related-resources = 关联资源不能超过50个
resource-cannot-relate-itself = 资源不能关联自身
most-20-keywords = 关键词不能超过20个
range-applies-numeric-fields = 值域规则只适用于数值型信息项
range-needs-minimum-maximum = 值域须有上限或下限
bounds-finite = 值域须为有限数
minimum-exceeds-maximum = 下限不能大于上限
pattern-applies-string-fields = 格式规则只适用于字符型信息项
enumeration-needs-1-500 = 代码表须有1–500个值
repeated-values = 代码表有重复值
retired-resource-takes-no = 已下线的资源不能再登记数据
quality-score-between-0 = 质量得分须在0到1之间
diff-summary-json-object = 差异摘要须为JSON对象
diff-summary-most-64 = 差异摘要不能超过64KB
next-version-expected = 下一个版本应为 { $expected }
another-version-was-recorded = 版本已被同时登记
http-s-url = 须为 http(s):// 开头的网址
request-was-handled-meanwhile = 该申请已被他人处理，请刷新
refusal-needs-reasons-most = 不予共享须说明理由（最多2000字）
resource-not-published = 该资源未发布，不能申请
department-need-not-request = 本部门提供的资源无需申请共享
resource-has-been-retired = 该资源已下线
only-provider-s-refusal = 只能对提供部门的不予共享答复提出争议
not-permitted-see-request = 无权查看此共享申请
not-permitted-see-sharing = 无权查看共享申请
choose-least-one-field = 至少选择一个信息项
code-sql-keyword = “{ $code }”是SQL保留字
must-be-1-32-z-0 = 须为1–32位小写字母、数字或下划线
classification-code-1-8 = 分类编码须为1–8位字母或数字
malformed-department-path = 部门路径格式错误
not-permitted-see-resource = 无权查看此数据资源
resource-code-already-exists = 该资源编码已存在
retired-resource-cannot-edited = 已下线的资源不能修改
code-cannot-change-once = 资源发布或有数据后编码不能修改
resource-already-retired = 资源已下线
resource-was-changed-meanwhile = 该资源已被他人修改，请刷新后重试
request-resource-already-progress = 已有同一资源的申请在办理中
replaced-grant-id = 由新授权 { $id } 取代
granted-path-resource-resource = 授权 { $path } 使用资源 { $resource_code }（{ $fields }个信息项，至 { $expires_on }）
revoked-grant-resource-code = 撤销 { $path } 对资源 { $resource_code } 的授权
field-code-f-repeated = 信息项编码“{ $f }”重复
rule-rule-repeated = 规则“{ $rule }”重复
resource-r-version-version = 数据资源 { $r } 登记第{ $version }版数据（{ $row_count }行）
request-status2-so-cannot = 申请当前状态为“{ $status }”，不能{ $verb }
sharing-event = { $what }：{ $code } { $name }（申请方 { $requester }）
resource-resource-has-no = 资源 { $resource } 中没有信息项“{ $shown }”
catalogued-resource-r-r3 = 编目数据资源 { $r } { $r2 }
edited-resource-r-revision = 修改数据资源 { $r } (第{ $revision }版)
only-draft-can-published = 只有草稿可以发布（当前：{ $status }）
verb2-resource-r = { $verb }数据资源 { $r } { $r2 }
not-found = { $what ->
    [resource] 数据资源
    [request] 共享申请
    [grant] 共享授权
    [version] 数据版本
   *[other] 对象
}不存在
cannot-count-deadline = 无法计算期限：{ $cause }
storage-failed = 存储错误：{ $cause }
resource-code-form = 资源编码须为3–64位字母、数字，可用 - 分隔
field-code-form = 信息项编码须以小写字母开头，仅含小写字母、数字、下划线，最多63位
validity-end-within = 有效期须晚于今天且不超过{ $years }年
