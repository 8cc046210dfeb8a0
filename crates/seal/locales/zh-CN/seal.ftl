### Messages of tongban-seal for people, in Chinese. Each id is a code the crate's
### msg!("…") names; every id is in every language (the crate's tests check it).

licence-type-code-2 = 证照类型编码应为2–64位小写字母、数字或-
most-max-fields-lines = 证照栏目最多{ $max_fields }项
duplicate-label = 栏目名称重复
only-case-department-s = 只能使用办件所属部门的印章
no-such-seal = 印章不存在
seal-s-key-was = 该印章的密钥已更换，请使用其后继印章
last-valid-day-not = 有效期截止日不得早于起始日
licence-already-revoked = 该证照已注销
only-holder-issuing-department = 只有持证人和发证部门可以下载证照文件
not-json-file = 不是 JSON 文件
not-licence-file-no = 不是电子证照文件（缺少 document 或 signature）
file-holds-content-outside = 文件含有签章范围之外的内容
licence-document-malformed = 证照数据结构不完整
signature-structure-malformed = 签章数据结构不完整
seal-certificate-file-differs = 文件中的印章证书与可信证书不一致
seal-s-public-key = 印章公钥无效
document-does-not-match = 证照内容与签章摘要不符，文件已被改动
signature-does-not-verify = 签名验证失败，签章数据已被改动
seal-was-not-valid = 签章时印章不在有效期内
expired-valid-until = 有效期至 { $to }，已过期
expected-json-object = 应为 JSON 对象
only-integers-are-allowed = 只允许整数，发现 { $n }
not-maker-key-file = 不是制章者公钥文件
unknown-format = 未知的格式
not-seal-certificate-e = 不是印章证书
not-revocation-list-e = 不是注销列表
revocation-list-s-signature = 注销列表签名无效
seal-picture-png-jpeg = 印模图片应为 PNG 或 JPEG
picture-s-content-does = 图片内容与类型不符
end-date-not-before = 截止日期不得早于起始日期
seal-may-valid-most = 印章有效期最长{ $max_valid_years }年
made-seal-name = 制作电子印章 { $name }
department-already-has-seal = 本部门已有同名印章
seal-retired-replace-successor = 该印章已停用，请更换其后继印章
seal-has-expired-make = 该印章已过有效期，请制作新印章
seal-was-just-replaced = 该印章刚被他人更换
department-has-no-seal = 本部门没有今天有效的电子印章，请先由部门管理员制作印章
seal-valid-valid-from = 印章有效期为 { $valid_from } 至 { $valid_to }，今天不能用印
issued-e-licence-number = 签发电子证照 { $number }（{ $title }）
revoked-e-licence-number = 注销电子证照 { $number }
not-permitted-issuelicences = 无权执行此操作
maker-signature-seal-certificate = 印章证书 { $seal_id } 的制章签名无效
seal-seal-id-not = 签章所用印章 { $seal_id } 不在可信印章中
licence-revoked = 已于 { $at } 由{ $issuer }注销：{ $why }
valid-issued-issuer-name = 有效，由{ $issuer }签发（{ $name }）
seal-picture-most-max = 印模图片不得超过 { $max_picture_bytes } KiB
replaced-key-seal-name = 更换印章密钥：{ $name }
not-found = { $what ->
    [seal] 电子印章
    [licence] 电子证照
   *[other] 对象
}不存在
key-failed = 密钥错误：{ $cause }
file-failed = 文件读写失败：{ $path }：{ $cause }
storage-failed = 存储错误：{ $cause }
not-canonical = 无法规范化：{ $cause }
