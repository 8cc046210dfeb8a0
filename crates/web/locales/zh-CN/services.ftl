material-issued_in_bundle = 免提交：由本次一件事中的“
services-title = 办事服务
services-lead = 在线办理政务服务事项：一次填报，已有材料无需再交，进度随时可查。
services-search = 搜索事项名称
services-department = 部门
services-all_departments = 全部部门
services-none = 没有符合条件的事项。
services-promised = 承诺时限
services-statutory = 法定时限
services-working_days = 个工作日
services-fully_online = 全程网办（零跑动）
services-start = 开始办理
services-code = 事项编码
services-time_limits = 办理时限
services-visits = 到现场次数
services-basis = 设定依据
services-conditions = 受理条件
services-result = 办理结果
services-e_licence = 电子证照
services-no_materials = 无需提交材料。
services-materials = 申请材料
services-optional = 非必需
services-exempt = 免提交
decision-letter = 决定书
decision-not_accepted_letter = 不予受理通知书
decision-back = 返回办件
decision-print = 用浏览器打印本页即得纸质文书
decision-applicant = 申请人
decision-title = { $kind ->
    [granted-licence] 准予行政许可决定书
    [granted] 准予办理决定书
    [refused-licence] 不予行政许可决定书
    [refused] 不予办理决定书
    [not-accepted-licence] 不予受理行政许可申请通知书
   *[not-accepted] 不予受理通知书
}
decision-applied = 你（单位）于{ $submitted }提出的“{ $item }”申请（办件编号 { $number }），本机关已依法审查。
decision-granted = 经审查，你（单位）的申请符合法定条件、标准。根据{ $basis }的规定，决定准予{ $licensing ->
    [yes] 行政许可
   *[no] 办理
}。
decision-refused = { $lead ->
    [yes] 经审查，
   *[no] {""}
}{ $reasons }。根据{ $basis }的规定，决定不予{ $licensing ->
    [yes] 行政许可
   *[no] 办理
}。
decision-not_accepted = { $lead ->
    [yes] 经审查，
   *[no] {""}
}{ $reasons }。根据{ $basis }的规定，决定不予受理。
decision-remarks = 说明：{ $reasons }
decision-licence = 已签发电子证照 { $number }，可在线核验。
decision-remedy = 如不服本决定，可以自收到本{ $paper ->
    [notice] 通知书
   *[decision] 决定书
}之日起六十日内依法申请行政复议，或者自收到本{ $paper ->
    [notice] 通知书
   *[decision] 决定书
}之日起六个月内依法向人民法院提起行政诉讼。
services-topic = 主题
services-life_event = 人生事件
bundle-tag = 一件事一次办
bundle-title = 一件事一次办
bundle-lead = 一次填写、一次提交，多个部门同时办理。
bundle-items = 包含的事项
bundle-item = 事项
bundle-once = 所有事项共用一张表，共
bundle-questions = 个问题
bundle-submitted = 一件事申请已提交
bundle-submitted_at = 提交时间
bundle-cases = 各部门办件
bundle-count = 个事项
material-issued_on = { $day }签发
material-title = 申请材料
material-uploaded = 已上传
material-licence = 使用电子证照
material-missing = 未提交（必需）
material-not_given = 未提交（非必需）
material-bad_upload = 上传未完成，请重试 / the upload did not complete, please try again
material-too_big = 文件太大，不得超过
material-required = 请提供材料
material-licence_choice = 您持有可用于此材料的电子证照，选择后无需上传：
material-upload_instead = 改为上传文件
material-replace = 选择新文件可替换。
material-choose = 选择文件
material-types = PDF、PNG 或 JPEG，不超过
material-download = 下载
services-not_answered_required = 未填写（必填）
services-not_answered = 未填写
services-prefilled = 已为您预填。
services-prefilled_source = 来源
services-prefilled_wrong = 信息有误？请直接改为正确的内容。办理部门会看到您的更正，并请提供数据的部门核实。
services-prefilled_changed = 您已改动预填的内容。
services-prefilled_corrected_tag = 预填（已更正）
services-prefilled_tag = 预填
services-resumed = 已恢复您上次未提交的填报内容，请逐页核对。
services-start_over = 重新填写
case-prefill_corrected = 申请人已更正预填值
services-held_by_government = 政府部门已有，由系统共享获取
services-held_as_licence = 使用您已有的电子证照
services-you_will_be_asked = 需要填写
services-process = 办理流程
services-fees = 收费
services-free = 不收费
services-question = 问题
services-max_chars = 最多字数：
services-date_hint = 如 2026-01-02
services-id_hint = 18位公民身份号码
services-personal_hint = 此项为个人信息，将加密保存。
services-optional_hint = 此项可不填。
services-check = 核对您的填报内容
services-exempt_title = 以下材料无需提交
services-now_send = 提交申请
services-declaration = 提交即表示您确认所填内容真实准确。
services-submit = 确认提交
case-action-submitted = 提交申请
case-action-accepted = 已受理
case-action-not_accepted = 不予受理
case-action-supplement_requested = 补正告知
case-action-supplemented = 已补正
case-action-due_recounted = 节假日安排公布，期限重新计算
case-action-clock_paused = 中止计时
case-action-clock_resumed = 恢复计时
case-action-approved = 准予许可
case-action-denied = 不予许可
case-action-refused = 不予办理
case-action-agreed = 准予办理
case-action-completed = 已办结
case-action-withdrawn = 已撤回
case-action-rated = 评价
case-action-transferred = 已转办
case-action-reviewed = 审查意见
case-action-note = 内部意见
case-action-delegated = 已指派
case-action-extension_requested = 申请延期
case-form = 申请表
case-masked = 已脱敏
case-reveal = 查看完整信息
case-reveal_hint = 核对证件或联系申请人时，可逐项查看脱敏信息，须说明原因；每次查看都记入办件记录和安全账本，原因和说明会原样显示给申请人。
case-reveal_field = 查看哪一项
case-reveal_reason = 原因
case-reveal_note = 说明（选择“其他”时必填）
case-reveal_submit = 查看并记录
case-action-value_revealed = 工作人员查看个人信息
reveal-recorded = 本次查看已记入办件记录（申请人可见）和安全账本。
reveal-reason = 查看原因
reveal-not_kept = 此页不会被浏览器保存；离开后如需再看，须重新说明原因。
reveal-back = 返回办件
case-act = 办理
case-note_optional = 意见（可选）
case-choose_action = 办理结果
case-submit_action = 提交
case-accept = 受理
case-refuse = 不予受理
case-refuse_reason = 不予受理理由
case-missing = 补正内容（每行一项，一次性列全）
case-missing_hint = 补正期间办理时限暂停；只能补正一次。
case-ask_supplement = 一次性告知补正
case-opinion = 审查意见（不同意时必填）
case-agree = 同意
case-disagree = 不同意
case-reasons = 理由（作出不予决定时必填）
case-legal_basis = 法律依据（作出不予决定时必填）
case-approve = 准予许可
case-approve_service = 准予办理
case-deny = 不予许可
case-deny_service = 不予办理
case-issue = 办结出证
case-tasks = 各环节
case-internal = 内部
case-add_note = 内部意见（申请人不可见）
case-save_note = 保存意见
case-pause = 中止计时（征求意见、听证、检验检测）
case-pause_reason = 中止原因
case-pause_note = 说明（申请人可见）
case-paused = 计时已中止
case-resume = 恢复计时
case-transfer = 转办
case-transfer_to = 转至部门
case-transfer_reason = 转办理由
case-delegate = 委托同事办理
case-delegate_to = 同事的登录名
case-delegate_hint = 须在本环节的部门担任相同角色
case-extend = 申请延期
case-extend_days = 延长工作日数（1–30）
case-extend_reason = 延期理由
case-extension = 延期
case-extension_approve = 批准延期
case-extension_reject = 不批准
verify-title = 电子证照核验
verify-lead = 输入证照编号和校验码，或上传证照文件（JSON），核验是否由本平台的部门印章签发、是否被改动、注销或过期。无需登录。
verify-by_number = 按证照编号核验
verify-by_file = 上传证照文件核验
verify-number_hint = 如 DZZZ-2026-00000001
verify-file = 证照文件
verify-file_hint = 持证人下载的 .json 文件，不超过 256 KiB
verify-check = 核验
verify-again = 核验其他证照
verify-result = 核验结果
verify-unknown_number = 没有找到该证照，或校验码不正确
verify-code = 校验码
verify-code_hint = 证照上印在编号旁的8位校验码，扫描二维码时会自动带上
verify-number_needed = 请输入证照编号
verify-code_needed = 请输入证照上的校验码
verify-no_file = 请选择证照文件 / choose the licence file
verify-too_big = 文件超过 256 KiB，不是证照文件 / the file is over 256 KiB: not a licence file
verify-bad_upload = 上传失败，请重试 / the upload failed; try again
verify-offline_hint = 离线核验：用 tongban seal export-certs 导出的公开印章证书，运行 tongban verify 文件 --certs 目录。
licence-number = 证照编号
licence-title = 证照名称
licence-issuer = 发证部门
licence-holder = 持证人
licence-holder_id = 证件号码
licence-valid = 有效期
licence-no_end = 长期
licence-seal = 电子印章
licence-signed_at = 签章时间
licence-issued = 签发日期
licence-status = 状态
licence-case = 办件编号
licence-digest = 摘要
licence-mine = 我的证照
licence-mine_lead = 政府部门为您签发的电子证照。办理其他事项时，已有的证照无需再提交。
licence-none = 暂无电子证照。
licence-qr_label = 核验二维码
licence-qr_caption = 扫码或访问以下地址核验本证照：
licence-download = 下载证照文件（JSON）
licence-download_hint = 带数字签名的文件，可在线或离线核验真伪。
licences-title = 已签发证照
licences-lead = 本部门签发的电子证照。注销后，在线核验立即显示已注销。
licences-revoke = 注销
licences-reason = 注销理由
licences-revoke_confirm = 确认注销
licences-revoked_notice = 已注销 / revoked:
