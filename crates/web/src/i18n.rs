//! Language: zh-CN first, English second. Chosen by the `lang` cookie (the switch in every page
//! header), else by `Accept-Language`, else Chinese. Every user-visible string lives in
//! [`CATALOG`], keyed, in both languages.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文 (default).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag for `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The cookie value.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The other language (for the switch link).
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// Parses a cookie value.
    pub fn from_code(code: &str) -> Option<Lang> {
        match code {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks from a cookie value and an `Accept-Language` header.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let Some(l) = cookie.and_then(Lang::from_code) {
            return l;
        }
        let Some(header) = accept_language else {
            return Lang::Zh;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                .unwrap_or(1.0);
            let lang = if tag.starts_with("zh") {
                Lang::Zh
            } else if tag.starts_with("en") {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Zh, |(_, l)| l)
    }
}

/// Text in the page language; templates call its `s` method with a catalog key.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    /// The language.
    pub lang: Lang,
}

impl Tr {
    /// The text for `key`, if the catalog has it (for keys built from data, like timeline actions).
    pub fn lookup(&self, key: &str) -> Option<&'static str> {
        INDEX.get(key).map(|&(zh, en)| match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        })
    }

    /// The text of `key` in the page language (a visible marker when the key is missing).
    pub fn s(&self, key: &str) -> &'static str {
        match INDEX.get(key) {
            Some(&(zh, en)) => match self.lang {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => "⚠missing-text",
        }
    }

    /// Whether the page is in English (for sentences built around data).
    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    /// Picks between a Chinese and an English string held in data (names of departments, roles).
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En if en.is_empty() => zh,
            Lang::En => en,
        }
    }

    /// A name held in data in the page's language: the English one on an English page when
    /// there is one, else the Chinese one (marked as Chinese on an English page).
    pub fn name(&self, zh: &str, en: &str) -> crate::markup::Named {
        match self.lang {
            Lang::Zh => crate::markup::Named::new(zh, false),
            Lang::En if en.trim().is_empty() => crate::markup::Named::new(zh, true),
            Lang::En => crate::markup::Named::new(en, false),
        }
    }

    /// Chinese data with no English form (an answer, a description, a form label): marked as
    /// Chinese on an English page, shown as it is on a Chinese one.
    pub fn zh_text(&self, zh: &str) -> crate::markup::Named {
        let chinese = zh
            .chars()
            .any(|c| ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c));
        crate::markup::Named::new(zh, self.lang == Lang::En && chinese)
    }

    /// ` lang="zh-CN"` on an English page, for an element whose content is Chinese data;
    /// nothing on a Chinese page. Written with `|safe`.
    pub fn zh(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "",
            Lang::En => " lang=\"zh-CN\"",
        }
    }

    /// A calendar day as people write it: `2026年12月3日`, or `2026-12-03` in English.
    pub fn day(&self, d: jiff::civil::Date) -> String {
        match self.lang {
            Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
            Lang::En => d.to_string(),
        }
    }

    /// For bilingual messages `中文 / English` produced by domain crates: the half in this language.
    pub fn half<'a>(&self, both: &'a str) -> &'a str {
        match tongban_kernel::bilingual(both) {
            Some((zh, en)) => match self.lang {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => both,
        }
    }
}

static INDEX: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| CATALOG.iter().map(|(k, zh, en)| (*k, (*zh, *en))).collect());

/// Every user-visible string: key, 中文, English.
pub const CATALOG: &[(&str, &str, &str)] = &[
    (
        "site.name",
        "通办 · 政务服务平台",
        "Tongban · Government Services",
    ),
    ("site.city", "示范市人民政府", "Demo City People's Government"),
    ("site.skip", "跳到主要内容", "Skip to main content"),
    ("site.switch", "English", "中文"),
    (
        "site.demo_banner",
        "演示环境：数据均为虚构，请勿输入真实个人信息。",
        "Demo environment: all data is fictional; do not enter real personal data.",
    ),
    (
        "site.footer",
        "通办 — 一网通办 · 数据共享 · 安全可信（SM2/SM3/SM4）",
        "Tongban — one-window services · data sharing · secured with SM2/SM3/SM4",
    ),
    ("nav.home", "首页", "Home"),
    ("nav.login", "登录", "Sign in"),
    ("nav.register", "注册", "Register"),
    ("nav.account", "我的账户", "My account"),
    ("nav.logout", "退出", "Sign out"),
    ("nav.console", "工作台", "Console"),
    ("nav.departments", "部门", "Departments"),
    ("nav.users", "用户与角色", "Users & roles"),
    ("nav.ledger", "安全账本", "Ledger"),
    ("nav.portal", "门户", "Portal"),
    (
        "home.title",
        "一网通办，一次都不跑",
        "One window for every government service",
    ),
    (
        "home.lead",
        "在线办理政务服务、查询办件进度、获取电子证照，政府已有的材料不再重复提交。",
        "Apply online, follow your case and receive electronic licences — without re-submitting what government already holds.",
    ),
    ("home.start", "登录开始办事", "Sign in to start"),
    ("home.new", "还没有账户？", "No account yet?"),
    (
        "home.register_link",
        "注册个人账户",
        "Register a personal account",
    ),
    ("home.welcome", "欢迎，", "Welcome, "),
    ("home.search_label", "搜索办事服务", "Search the services"),
    (
        "home.search_placeholder",
        "例如：居住证、社保卡、营业执照",
        "e.g. residence permit, social security card",
    ),
    ("home.search", "搜索", "Search"),
    ("home.popular", "高频服务", "Most used services"),
    ("home.all_services", "查看全部办事服务", "All services"),
    ("home.notices", "通知公告", "Notices"),
    (
        "home.no_notices",
        "暂无正在征集的意见或问卷。",
        "Nothing is open for comment right now.",
    ),
    ("home.notice_consultation", "意见征集", "Consultation"),
    ("home.notice_survey", "问卷调查", "Survey"),
    ("home.open_cases", "件在办", "open cases"),
    ("home.my_licences", "张电子证照", "e-licences"),
    ("home.unread", "条未读消息", "unread messages"),
    ("home.latest_cases", "最近的办件", "Latest cases"),
    ("login.title", "登录", "Sign in"),
    ("login.username", "用户名", "Username"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    (
        "login.demo_hint",
        "演示账户密码均为 Tongban@2026，例如 citizen1、sysadmin。",
        "Every demo account's password is Tongban@2026, e.g. citizen1, sysadmin.",
    ),
    ("mfa.title", "两步验证", "Two-step verification"),
    ("mfa.code", "动态验证码（6位）", "Verification code (6 digits)"),
    (
        "mfa.code_hint",
        "打开身份验证器应用，输入显示的6位数字。",
        "Open your authenticator app and enter the 6-digit code.",
    ),
    ("mfa.submit", "验证", "Verify"),
    ("mfa.setup_title", "设置两步验证", "Set up two-step verification"),
    (
        "mfa.setup_required",
        "管理员账户必须启用两步验证后才能继续。",
        "Administrator accounts must turn on two-step verification before continuing.",
    ),
    (
        "mfa.setup_scan",
        "用身份验证器应用（如 FreeOTP、Google Authenticator）扫描二维码：",
        "Scan the QR code with an authenticator app (e.g. FreeOTP, Google Authenticator):",
    ),
    (
        "mfa.setup_qr_label",
        "两步验证设置二维码",
        "Two-step verification set-up QR code",
    ),
    (
        "mfa.setup_step1",
        "无法扫码时，也可在应用中手动输入以下密钥：",
        "If you cannot scan it, enter this key in the app instead:",
    ),
    ("mfa.setup_uri", "或使用此链接：", "Or use this link:"),
    (
        "mfa.setup_step2",
        "然后输入应用显示的6位验证码。",
        "Then enter the 6-digit code the app shows.",
    ),
    ("mfa.enabled", "已启用两步验证", "Two-step verification is on"),
    ("mfa.disabled", "未启用两步验证", "Two-step verification is off"),
    ("mfa.enable", "启用两步验证", "Turn on two-step verification"),
    ("register.title", "注册个人账户", "Register a personal account"),
    (
        "register.lead",
        "使用居民身份证实名注册。身份证号加密保存，页面上只显示部分数字。",
        "Register with your resident ID. Your ID number is stored encrypted and shown only in part.",
    ),
    ("register.real_name", "姓名", "Full name"),
    ("register.id_number", "居民身份证号码", "Resident ID number"),
    (
        "register.id_hint",
        "18位，最后一位可能是 X",
        "18 characters; the last may be X",
    ),
    ("register.phone", "手机号码（选填）", "Mobile number (optional)"),
    (
        "register.username_hint",
        "3–32位小写字母、数字、点、下划线或连字符",
        "3–32 lower-case letters, digits, dots, underscores or hyphens",
    ),
    (
        "register.password_hint",
        "至少8位，包含大写字母、小写字母、数字、符号中的三类",
        "At least 8 characters with three of: upper case, lower case, digits, symbols",
    ),
    ("register.password2", "再次输入密码", "Repeat the password"),
    ("register.submit", "注册", "Register"),
    (
        "register.done",
        "注册申请已受理，请用您设置的用户名和密码登录。如该身份证号此前已注册，不会另开账号，请使用原账号登录；忘记原账号请到政务服务窗口办理。",
        "Your registration has been received: sign in with the user name and password you chose. If this ID number was registered before, no second account is opened: sign in with the existing one, or ask at a service hall window if you have forgotten it.",
    ),
    ("account.title", "我的账户", "My account"),
    ("account.profile", "基本信息", "Profile"),
    ("account.sessions", "登录会话", "Sessions"),
    ("account.session_current", "当前会话", "This session"),
    ("account.revoke", "注销此会话", "Sign this session out"),
    ("account.security", "账户安全", "Security"),
    ("account.kind", "账户类型", "Account type"),
    ("account.demo", "演示账户", "Demo account"),
    ("field.created", "创建时间", "Created"),
    ("field.last_seen", "最近活动", "Last active"),
    ("field.ip", "IP 地址", "IP address"),
    ("field.agent", "浏览器", "Browser"),
    ("field.name", "名称", "Name"),
    ("field.code", "代码", "Code"),
    ("field.department", "部门", "Department"),
    ("field.roles", "角色", "Roles"),
    ("field.status", "状态", "Status"),
    ("field.username", "用户名", "Username"),
    ("field.display_name", "显示名称", "Display name"),
    ("field.id_number", "身份证号", "ID number"),
    ("field.phone", "手机", "Phone"),
    ("field.parent", "上级", "Parent"),
    ("field.name_zh", "中文名称", "Chinese name"),
    ("field.name_en", "英文名称", "English name"),
    (
        "items.name_en_hint",
        "英文页面显示的名称；不填则显示中文名称。",
        "Shown on English pages; without it the Chinese name is shown.",
    ),
    ("field.kind", "类型", "Type"),
    ("field.password", "初始密码", "Initial password"),
    ("field.time", "时间", "Time"),
    ("field.actor", "操作人", "Actor"),
    ("field.action", "操作", "Action"),
    ("field.object", "对象", "Object"),
    ("field.summary", "摘要", "Summary"),
    ("field.seq", "序号", "No."),
    ("field.chained", "上链", "Chained"),
    ("field.from", "起始日期", "From"),
    ("field.to", "截止日期", "To"),
    ("status.active", "正常", "Active"),
    ("status.locked", "已锁定", "Locked"),
    ("status.disabled", "已停用", "Disabled"),
    ("action.save", "保存", "Save"),
    ("action.create", "创建", "Create"),
    ("action.filter", "筛选", "Filter"),
    ("action.export_csv", "导出 CSV", "Export CSV"),
    ("action.lock", "锁定", "Lock"),
    ("action.unlock", "解锁", "Unlock"),
    ("action.view", "查看", "View"),
    ("action.back", "返回", "Back"),
    ("action.prev", "上一页", "Previous"),
    ("action.next", "下一页", "Next"),
    ("pager.label", "分页", "Pages"),
    ("punct.stop", "。", "."),
    ("punct.space", "", " "),
    ("punct.colon", "：", ": "),
    ("punct.open", "（", " ("),
    ("punct.comma", "，", ", "),
    ("punct.list", "、", ", "),
    ("punct.close", "）", ")"),
    ("nav.menu", "菜单", "Menu"),
    ("pager.page", "第{page}页，共{pages}页", "Page {page} of {pages}"),
    ("cases.tab_open", "办理中", "In progress"),
    ("cases.tab_done", "已办结", "Finished"),
    ("cases.tab_all", "全部", "All"),
    ("cases.overdue", "已超期", "Overdue"),
    ("console.title", "工作台", "Console"),
    (
        "console.lead",
        "部门工作人员办公入口。",
        "Where department staff work.",
    ),
    ("console.your_roles", "您的角色", "Your roles"),
    ("departments.title", "部门", "Departments"),
    ("departments.add", "新增部门", "Add a department"),
    ("users.title", "用户与角色", "Users & roles"),
    ("users.add", "新增工作人员", "Add a staff member"),
    ("users.search", "搜索用户名或名称", "Search username or name"),
    (
        "users.roles_hint",
        "勾选授予的角色；范围为该用户所在部门及下级。",
        "Tick roles to grant; they apply to the user's department and below.",
    ),
    ("ledger.title", "安全账本", "Security ledger"),
    (
        "ledger.lead",
        "每一次变更都记录为事件，按序以 SM3 链式哈希上链，并定期以平台 SM2 密钥签名检查点。",
        "Every change is recorded as an event, chained in order with SM3 and checkpointed with the platform's SM2 key.",
    ),
    ("ledger.verify_ok", "校验通过", "Verified"),
    ("ledger.verify_bad", "校验失败", "Verification failed"),
    ("ledger.pending", "待上链", "Pending"),
    ("ledger.total", "条记录", "entries"),
    ("ledger.account", "账号", "Account"),
    (
        "ledger.account_hint",
        "登录名：列出该账号的操作和针对它的操作（如他人尝试登录）。",
        "Login name: what the account did and what was done to it (such as others trying to sign in).",
    ),
    ("ledger.anonymous", "未登录访问者", "Not signed in"),
    ("ledger.system", "平台系统", "The platform"),
    (
        "ledger.summarised",
        "这里列出账本中的每一条事件。数据交换接口的读取按批记录：同一调用方在同一批中对同一资源的读取合并为一条事件，详情中逐次列出。",
        "Every event in the ledger is listed here. Exchange API reads are recorded in batches: one caller's reads of one resource in one batch share an event that lists each read.",
    ),
    ("error.title", "出错了", "Something went wrong"),
    ("error.summary", "请更正以下问题", "There is a problem"),
    ("error.title_prefix", "错误：", "Error: "),
    ("dept.kind.city", "市（区县）", "City or county"),
    ("dept.kind.department", "部门", "Department"),
    ("dept.kind.office", "科室", "Office"),
    ("error.not_found", "找不到您要的页面。", "Page not found."),
    ("error.forbidden_title", "无权访问", "Not allowed"),
    ("care.on", "关怀模式", "Easy-read mode"),
    ("care.off", "退出关怀模式", "Leave easy-read mode"),
    (
        "error.forbidden",
        "您没有权限查看此页面。",
        "You are not allowed to see this page.",
    ),
    (
        "error.csrf",
        "表单已过期或来源不明，请返回重新提交。",
        "The form expired or did not come from this site. Go back and submit it again.",
    ),
    (
        "error.server",
        "服务暂时不可用，请稍后再试。您已保存的数据不会丢失。",
        "The service is unavailable. Try again later; nothing you saved is lost.",
    ),
    ("kind.citizen", "个人", "Citizen"),
    ("kind.business", "企业", "Business"),
    ("kind.staff", "工作人员", "Staff"),
    ("ledger.checked_at", "最近一次校验：", "Last verified:"),
    ("ledger.checking", "正在重新校验…", "verifying again…"),
    ("ledger.verify_now", "立即重新校验", "Verify now"),
    ("nav.catalog", "数据目录", "Data catalog"),
    ("nav.sharing", "共享申请", "Sharing"),
    ("nav.open_data", "开放数据", "Open data"),
    ("catalog.title", "政务信息资源目录", "Government data catalog"),
    (
        "catalog.lead",
        "各部门编目的数据资源，按共享属性申请使用：无条件共享即时授权，有条件共享经数据局审核、提供部门审批。",
        "Each department's data resources. Unconditional resources are granted at once; conditional ones are reviewed by the data authority and decided by the provider.",
    ),
    (
        "catalog.search",
        "搜索编码、名称或摘要",
        "Search code, name or summary",
    ),
    ("catalog.any", "全部", "Any"),
    ("catalog.count", "项资源", "resources"),
    ("catalog.provider", "提供部门", "Provider"),
    ("catalog.summary", "摘要", "Summary"),
    ("catalog.classification", "资源分类", "Classification"),
    ("catalog.sharing", "共享属性", "Sharing"),
    ("catalog.condition", "共享条件", "Condition"),
    ("catalog.legal_basis", "法律依据", "Legal basis"),
    ("catalog.open", "开放属性", "Open data"),
    ("catalog.update_cycle", "更新周期", "Update cycle"),
    ("catalog.published_on", "发布日期", "Published"),
    ("catalog.version", "数据版本", "Version"),
    ("catalog.fields", "信息项", "Fields"),
    ("catalog.data_type", "数据类型", "Type"),
    ("catalog.sensitivity", "敏感级别", "Sensitivity"),
    ("catalog.personal", "个人信息", "personal"),
    ("catalog.key", "主键", "Key"),
    ("catalog.rules", "质量规则", "Quality rules"),
    ("catalog.versions", "数据版本", "Data versions"),
    (
        "catalog.no_versions",
        "尚未汇聚数据。",
        "No data on the platform yet.",
    ),
    ("catalog.rows", "行数", "Rows"),
    ("catalog.quality", "质量得分", "Quality"),
    ("catalog.publish", "发布资源", "Publish"),
    ("sharing.title", "数据共享", "Data sharing"),
    (
        "sharing.lead",
        "本部门提出的和需要本部门处理的共享申请，以及生效中的授权。时限按工作日计算，临近到期显示黄灯，逾期显示红灯。",
        "Requests your department made or must handle, and the grants in force. Limits count working days; yellow means due soon, red means overdue.",
    ),
    ("sharing.requests", "共享申请", "Requests"),
    ("sharing.grants", "授权", "Grants"),
    ("sharing.none", "暂无共享申请。", "No requests."),
    ("sharing.no_grants", "暂无授权。", "No grants."),
    ("sharing.new", "申请共享", "Request this data"),
    ("sharing.request", "共享申请", "Sharing request"),
    ("sharing.resource", "资源", "Resource"),
    ("sharing.requester", "申请部门", "Requester"),
    ("sharing.grantee", "被授权方", "Grantee"),
    ("sharing.fields", "申请信息项", "Fields"),
    ("sharing.purpose", "用途", "Purpose"),
    (
        "sharing.purpose_hint",
        "写明办理的事项和使用这些数据的理由",
        "The matter handled and why these fields are needed",
    ),
    ("sharing.scenario", "应用场景", "Scenario"),
    (
        "sharing.basis_hint",
        "引用法律、法规或规章条款",
        "Cite the law, regulation or rule",
    ),
    ("sharing.valid_until", "使用期限至", "Valid until"),
    ("sharing.submit", "提交申请", "Submit the request"),
    ("sharing.filed_on", "申请日期", "Filed on"),
    ("sharing.refusal", "不予共享理由", "Reasons for refusal"),
    ("sharing.dispute_reasons", "异议理由", "Dispute reasons"),
    ("sharing.due", "办理时限", "Due"),
    ("sharing.due_soon", "临近到期", "Due soon"),
    ("sharing.overdue", "已逾期", "Overdue"),
    ("sharing.expires", "有效期至", "Expires"),
    ("sharing.revoke", "撤销授权", "Revoke"),
    ("sharing.revoke_reason", "撤销理由", "Reason for revoking"),
    ("sharing.timeline", "办理进程", "Timeline"),
    ("sharing.stage", "环节", "Stage"),
    ("sharing.stage_review", "数据局审核", "Data authority review"),
    ("sharing.stage_decision", "提供部门审批", "Provider decision"),
    ("sharing.stage_dispute", "异议处理", "Dispute"),
    ("sharing.started", "开始", "Started"),
    ("sharing.finished", "完成", "Finished"),
    ("sharing.note", "意见", "Note"),
    (
        "sharing.reasons",
        "理由（不同意时必填）",
        "Reasons (required to refuse)",
    ),
    ("sharing.review", "审核", "Review"),
    (
        "sharing.approve",
        "审核通过，转提供部门",
        "Approve and pass to the provider",
    ),
    ("sharing.reject", "不予通过", "Reject"),
    ("sharing.decide", "审批", "Decide"),
    ("sharing.resolve", "处理异议", "Resolve the dispute"),
    ("sharing.grant_fields", "授权的信息项", "Fields to grant"),
    ("sharing.uses", "可用于", "May be used for"),
    (
        "sharing.uses_hint",
        "授权只在所选用途中有效；查询分析中个人信息一律脱敏，明文提供的个人信息不能用于查询分析。",
        "The grant counts only for the uses ticked; queries always mask personal data, and personal data given in clear cannot be granted for queries.",
    ),
    ("sharing.clear_tag", "明文", "Clear text"),
    (
        "material.issued_in_bundle",
        "免提交：由本次一件事中的“",
        "Nothing to provide: issued when \"",
    ),
    (
        "sharing.done_approve",
        "已审核通过，申请已转提供部门。",
        "Approved; the request is with the provider now.",
    ),
    (
        "sharing.done_reject",
        "已退回申请，理由已告知申请部门。",
        "Sent back; the requester has the reasons.",
    ),
    (
        "sharing.done_grant",
        "已同意共享，授权即时生效。",
        "Granted; the grant is in effect now.",
    ),
    (
        "sharing.done_refuse",
        "已作出不予共享的决定，理由已告知申请部门。",
        "Refused; the requester has the reasons.",
    ),
    (
        "sharing.done_dispute",
        "异议已提交数据主管部门。",
        "The dispute is with the data authority now.",
    ),
    ("sharing.done_withdraw", "申请已撤回。", "Request withdrawn."),
    (
        "query.why_provider",
        "本部门提供的数据：个人信息字段在查询中一律脱敏显示，需要完整值时请在业务系统中按件查看。",
        "Your department provides this data: personal fields are always masked in queries; look a single record up in the business system when the full value is needed.",
    ),
    (
        "query.why_grant",
        "依据共享授权读取：只含授权的信息项，个人信息字段脱敏，授权写明明文的除外。",
        "Read under a sharing grant: only the granted fields; personal fields masked unless the grant gives them in clear text.",
    ),
    ("query.grant_purpose", "授权用途：", " Purpose: "),
    (
        "query.why_open",
        "开放数据：只含非个人信息字段。",
        "Open data: only fields that are not personal.",
    ),
    (
        "query.clear_warning",
        "此授权以明文提供部分个人信息，仅限授权用途使用。明文依据：",
        "This grant gives some personal fields in clear text, for its purpose only. Why: ",
    ),
    (
        "sharing.clear_warning",
        "以下个人信息以明文提供，请确认确有必要：",
        "These personal fields are given in clear text; make sure this is needed: ",
    ),
    ("sharing.clear_basis", "明文依据：", "Why clear text: "),
    ("sharing.grant", "同意共享", "Grant"),
    ("sharing.refuse", "不予共享", "Refuse"),
    ("sharing.uphold", "维持不予共享", "Uphold the refusal"),
    ("sharing.dispute", "提出异议", "Dispute the refusal"),
    ("sharing.withdraw", "撤回申请", "Withdraw the request"),
    ("open.title", "开放数据", "Open data"),
    (
        "open.lead",
        "可自由下载、使用的政府数据资源。机器可读的目录：",
        "Government data anyone may download and use. Machine-readable catalog: ",
    ),
    ("open.download", "下载", "Download"),
    ("open.rows", "数据条数", "Rows"),
    ("open.rows_unit", " 条", " rows"),
    ("open.updated", "数据更新时间", "Data last updated"),
    ("open.licence", "开放许可", "Licence"),
    (
        "open.licence_name",
        "示范市公共数据开放许可（署名）",
        "Demo City open data licence (attribution)",
    ),
    ("open.terms_link", "使用条款", "Terms of use"),
    (
        "open.terms_short",
        "可免费下载、使用和再发布，请注明来源“示范市人民政府”及数据名称。",
        "Free to download, use and republish; credit \"Demo City People's Government\" and the dataset's name.",
    ),
    ("open.preview", "数据预览", "Preview"),
    (
        "open.preview_hint",
        "当前版本的前 10 条记录；完整数据请下载。",
        "The first 10 rows of the current version; download for all of it.",
    ),
    ("open.dictionary", "数据字典", "Data dictionary"),
    (
        "open.terms_title",
        "公共数据开放使用条款",
        "Open data terms of use",
    ),
    (
        "open.terms_lead",
        "本平台开放的公共数据按以下条款提供，下载或调用即表示同意。",
        "The open data on this platform is provided on these terms; downloading or using it means you accept them.",
    ),
    (
        "open.terms_1",
        "任何单位和个人可免费获取、使用、加工和再发布开放数据，包括用于商业目的。",
        "Anyone may get, use, process and republish the open data free of charge, commercial use included.",
    ),
    (
        "open.terms_2",
        "使用时请注明数据来源：“示范市人民政府”及数据名称、版本。",
        "Credit the source: \"Demo City People's Government\" with the dataset's name and version.",
    ),
    (
        "open.terms_3",
        "不得利用开放数据侵害国家利益、公共利益或他人合法权益，不得尝试识别具体个人。",
        "Do not use the data against the public interest or the rights of others, nor try to identify individuals.",
    ),
    (
        "open.terms_4",
        "数据按现状提供，提供部门尽力保证准确，发现错误请通过政民互动反馈。",
        "The data is provided as is; the providing department strives for accuracy. Report errors through citizen interaction.",
    ),
    ("open.no_data", "数据尚未发布。", "No data published yet."),
    (
        "open.csv_hint",
        "UTF-8，可用 Excel 或 WPS 直接打开",
        "UTF-8; opens in Excel or WPS",
    ),
    (
        "open.parquet_hint",
        "适合 Spark、DuckDB 等分析工具",
        "for Spark, DuckDB and other analysis tools",
    ),
    ("nav.usage", "共享用量", "Exchange usage"),
    ("usage.title", "共享交换用量", "Exchange usage"),
    (
        "usage.lead",
        "接入系统通过共享接口调用本部门提供的资源、以及本部门系统调用其他部门资源的次数和返回条数。每次调用都记入安全账本。",
        "Calls and records returned through the exchange: to the resources your department provides, and by your department's systems. Every call is in the ledger.",
    ),
    ("usage.from", "起始日期", "From"),
    ("usage.to", "截止日期", "To"),
    ("usage.caller", "调用系统", "Calling system"),
    ("usage.caller_dept", "所属部门", "Its department"),
    ("usage.calls", "调用次数", "Calls"),
    ("usage.records", "返回条数", "Records"),
    ("usage.none", "此期间没有调用。", "No calls in this period."),
    ("nav.query", "数据查询", "Data query"),
    ("nav.services", "办事服务", "Services"),
    ("nav.my_cases", "我的办件", "My cases"),
    ("action.continue", "继续", "Continue"),
    ("action.change", "修改", "Change"),
    ("services.title", "办事服务", "Government services"),
    (
        "services.lead",
        "在线办理政务服务事项：一次填报，已有材料无需再交，进度随时可查。",
        "Apply for government services online: fill in once, skip what government already holds, follow your case at any time.",
    ),
    ("services.search", "搜索事项名称", "Search by name"),
    ("services.department", "部门", "Department"),
    ("services.all_departments", "全部部门", "All departments"),
    ("services.none", "没有符合条件的事项。", "No services match."),
    ("services.promised", "承诺时限", "Promised within"),
    ("services.statutory", "法定时限", "Statutory limit"),
    ("services.working_days", "个工作日", "working days"),
    ("services.fully_online", "全程网办（零跑动）", "Fully online"),
    ("services.start", "开始办理", "Start now"),
    ("services.code", "事项编码", "Service code"),
    ("services.time_limits", "办理时限", "Time limits"),
    ("services.visits", "到现场次数", "Visits in person"),
    ("services.basis", "设定依据", "Legal basis"),
    ("services.conditions", "受理条件", "Conditions"),
    ("services.result", "办理结果", "Result"),
    ("services.e_licence", "电子证照", "e-licence"),
    ("services.materials", "申请材料", "Materials"),
    ("services.optional", "非必需", "optional"),
    ("services.exempt", "免提交", "Not needed"),
    ("interact.assist", "请求协办", "Ask for assistance"),
    ("interact.assist_department", "协办部门", "Assisting department"),
    ("interact.assist_note", "需要协助的事项", "What help is needed"),
    ("interact.assists", "协办", "Assistance"),
    (
        "interact.assist_answer",
        "协办意见",
        "Assisting department's answer",
    ),
    ("interact.send_assist", "回复协办", "Send the answer"),
    ("interact.duplicates", "疑似重复", "Possible duplicates"),
    ("interact.merge", "合并到此件", "Merge into this one"),
    ("account.email", "邮件通知", "E-mail notifications"),
    (
        "account.email_hint",
        "填写邮箱后，办件和诉求的每一步进展也会发到您的邮箱；留空保存即取消。",
        "Give an address and every step of your cases and requests is also e-mailed to you; save it empty to stop.",
    ),
    ("account.email_now", "当前：", "Now:"),
    ("account.email_pending", "待验证", "Awaiting confirmation"),
    ("account.email_confirmed", "已验证", "Confirmed"),
    ("account.email_code", "邮件验证码", "Code from the e-mail"),
    (
        "account.email_code_hint",
        "我们已向该邮箱发送6位验证码（30分钟内有效）；确认后才会向其发送通知。没收到？重新保存邮箱即可再次发送。",
        "We e-mailed a six-digit code to it (valid 30 minutes); notifications go there once it is confirmed. None arrived? Save the address again for a new one.",
    ),
    ("account.email_confirm", "确认邮箱", "Confirm address"),
    ("account.email_label", "电子邮箱", "E-mail address"),
    (
        "participation.title",
        "意见征集与问卷",
        "Consultations and surveys",
    ),
    (
        "participation.new_consultation",
        "发布意见征集",
        "Open a consultation",
    ),
    ("participation.new_survey", "发布问卷", "Publish a survey"),
    ("participation.f_title", "标题", "Title"),
    ("participation.f_summary", "说明", "Summary"),
    ("participation.f_intro", "说明", "Introduction"),
    ("participation.f_sections", "草案全文", "The draft"),
    (
        "participation.sections_hint",
        "各条之间空一行；每条第一行为标题（如“第一条”），其后为正文。",
        "Separate the sections by a blank line; the first line of each is its heading, the rest its text.",
    ),
    ("participation.f_questions", "问题", "Questions"),
    (
        "participation.questions_hint",
        "每行一题：题目 | 类型 | 选项；选项。类型为 单选、多选、评分 或 文本；必答题在题目前加 *。",
        "One question per line: question | type | option; option. The type is single, multiple, rating or text; put * before a required question.",
    ),
    ("participation.f_opens", "开始日期", "Opens on"),
    ("participation.f_closes", "截止日期", "Closes on"),
    ("participation.publish", "发布", "Publish"),
    ("interact.clock", "时限", "Time limit"),
    ("interact.due_soon", "临期（黄）", "Due soon (yellow)"),
    ("interact.overdue", "超期（红）", "Overdue (red)"),
    ("interact.internal", "内部", "internal"),
    ("interact.contact", "联系方式", "Contact"),
    ("interact.public", "同意公开", "May be published"),
    ("interact.yes", "是", "Yes"),
    ("interact.no", "否", "No"),
    (
        "interact.publish_reply",
        "在政民互动公开答复",
        "Publish the reply on the board",
    ),
    ("interact.review_note", "审核意见", "Review note"),
    ("interact.approve", "审核通过", "Approve"),
    ("interact.send_back", "退回修改", "Send back"),
    ("interact.write_reply", "答复", "Reply"),
    (
        "interact.no_flags",
        "未发现问题，可以发送。",
        "No problems found: ready to send.",
    ),
    (
        "interact.flags",
        "答复质量提示（供参考，可修改后再发送）：",
        "Reply quality flags (advice; edit before sending):",
    ),
    ("interact.check", "检查答复", "Check the reply"),
    ("interact.send_reply", "发送答复", "Send the reply"),
    ("interact.transfer", "转办", "Transfer"),
    ("interact.to_department", "转至部门", "To department"),
    ("interact.return", "退回", "Return"),
    ("board.title", "政民互动", "Ask the government"),
    (
        "board.lead",
        "公开的咨询、投诉、建议及部门答复（已去除个人信息），以及各部门的办理统计。",
        "Published questions, complaints and suggestions with the departments' replies (personal data removed), and each department's figures.",
    ),
    ("board.search", "搜索", "Search"),
    ("board.kind", "类型", "Kind"),
    ("board.category", "分类", "Category"),
    ("board.all", "全部", "All"),
    ("board.found", "条公开记录", "published"),
    ("board.reply", "答复", "Reply"),
    ("board.pages", "分页", "Pages"),
    ("board.stats", "各部门办理情况", "How each department is doing"),
    ("board.received", "受理", "Received"),
    ("board.replied", "已答复", "Replied"),
    ("board.on_time", "按时答复率", "Replied on time"),
    ("board.days", "平均答复工作日", "Average working days to reply"),
    ("board.satisfaction", "满意率", "Satisfied"),
    ("board.rated", "群众评价", "Rated"),
    ("interact.new", "我要咨询、投诉或建议", "Ask, complain or suggest"),
    ("interact.mine", "我的诉求", "My questions and complaints"),
    (
        "interact.sign_in",
        "登录后提交诉求",
        "Sign in to ask, complain or suggest",
    ),
    (
        "interact.choose_kind",
        "请选择类型 / choose the kind",
        "Choose the kind",
    ),
    (
        "interact.choose_category",
        "请选择诉求类别",
        "Choose what it is about",
    ),
    ("interact.category_placeholder", "请选择", "Choose"),
    (
        "interact.category_hint",
        "不确定属于哪一类时请选“其他”，由12345热线工作人员分派。",
        "Not sure? Choose \"Other\" and the 12345 hotline staff will pass it on.",
    ),
    ("interact.title_label", "标题", "Title"),
    ("interact.text_label", "内容", "What it is about"),
    (
        "interact.text_hint",
        "请写清时间、地点和具体情况；不要填写他人的身份证号或电话。",
        "Say when, where and what happened; do not give other people's ID numbers or phones.",
    ),
    ("interact.address_label", "地点（选填）", "Where (optional)"),
    (
        "interact.public_label",
        "同意去除个人信息后在政民互动公开（含答复）",
        "Publish it with the reply on the public board, personal data removed",
    ),
    ("decision.letter", "决定书", "Decision letter"),
    ("oidc.consent_title", "授权登录", "Allow sign-in"),
    (
        "oidc.consent_lead",
        "请求使用您在本平台的账号登录，并获取以下信息：",
        " asks to sign you in with your account here and to see:",
    ),
    (
        "oidc.consent_hint",
        "同意后，下次登录该系统时不再询问；您可以随时退出登录。",
        "Once you allow it, you will not be asked again when you sign in to this system; you can sign out at any time.",
    ),
    (
        "oidc.share_openid",
        "您在本平台的账号标识",
        "Your account's identifier here",
    ),
    (
        "oidc.share_profile",
        "您的姓名和用户名",
        "Your name and user name",
    ),
    ("oidc.share_department", "您所在的部门", "Your department"),
    (
        "oidc.share_roles",
        "您的角色及其适用部门",
        "Your roles and where they apply",
    ),
    (
        "oidc.share_offline",
        "在您不在线时保持登录（最长30天）",
        "Keeping you signed in while you are away (up to 30 days)",
    ),
    ("oidc.allow", "同意并登录", "Allow and sign in"),
    ("oidc.deny", "拒绝", "Refuse"),
    ("oidc.continue", "正在返回", "Returning"),
    ("oidc.continue_to", "正在返回", "Returning to"),
    ("oidc.continue_sep", "。", ". "),
    (
        "oidc.continue_link",
        "如未自动跳转，请点击这里继续。",
        "If nothing happens, continue here.",
    ),
    ("oidc.logged_out", "已退出登录", "Signed out"),
    (
        "oidc.logged_out_lead",
        "您已退出本平台和发起退出的系统。",
        "You are signed out of the platform and of the system that asked.",
    ),
    ("oidc.logout_title", "退出登录", "Sign out"),
    (
        "oidc.logout_lead",
        "一个接入系统请求让您退出登录，但未能证明是您登录过的系统。如确需退出，请确认。",
        "A system asked to sign you out but could not show it was one you signed in to. Confirm if you want to sign out.",
    ),
    ("oidc.logout_confirm", "确认退出", "Sign out"),
    ("oidc.home", "返回首页", "Back to the home page"),
    (
        "decision.not_accepted_letter",
        "不予受理通知书",
        "Notice of non-acceptance",
    ),
    ("decision.back", "返回办件", "Back to the case"),
    (
        "decision.print",
        "用浏览器打印本页即得纸质文书",
        "Print this page from your browser for a paper copy",
    ),
    ("decision.applicant", "申请人", "Applicant"),
    (
        "bundles.title",
        "一件事管理",
        "Bundles (one application, several services)",
    ),
    (
        "bundles.lead",
        "把多个部门的事项组合为一次申请：一张表单、材料只交一次、每个事项各自成件。",
        "Combine items of several departments into one application: one form, each material once, one case per item.",
    ),
    ("bundles.new", "新建一件事", "New bundle"),
    ("bundles.none", "还没有一件事。", "There are no bundles yet."),
    ("bundles.saved", "已保存。", "Saved."),
    ("bundles.description", "说明", "Description"),
    (
        "bundles.life_event_hint",
        "如 出生、入学、开办企业",
        "E.g. birth, starting school, opening a business",
    ),
    ("bundles.active_label", "开放网上申请", "Open for applications"),
    (
        "bundles.items_hint",
        "按办理顺序选择 2–12 个事项；须管理每个事项所属部门。选“—”即删除该行。",
        "Choose 2–12 items in the order their cases are made; you must manage each item's department. Choose “—” to remove a row.",
    ),
    (
        "bundles.running_hint",
        "修改只影响之后的申请；已提交的申请保留其各部门办件。",
        "Edits apply to new applications; those already made keep their cases.",
    ),
    ("items.title", "事项管理", "Service items"),
    (
        "items.lead",
        "本部门的政务服务事项：办事指南、申请材料、表单、收费、电子证照和办理流程。",
        "Your departments' services: guide, materials, form, fees, e-licence and workflow.",
    ),
    ("items.new", "新建事项", "New service item"),
    (
        "items.none",
        "还没有可管理的事项。",
        "There are no items you manage yet.",
    ),
    ("items.code", "编码", "Code"),
    (
        "items.code_hint",
        "2–40 位字母、数字、- 或 _，如 9901-GA-001",
        "2–40 letters, digits, - or _, e.g. 9901-GA-001",
    ),
    ("items.workflow", "办理流程", "Workflow"),
    ("items.no_workflow", "尚未设置流程", "No workflow yet"),
    ("items.active", "可申请", "Open"),
    (
        "items.active_label",
        "开放网上申请（须已设置流程）",
        "Open for applications (needs a workflow)",
    ),
    ("items.guide", "办事指南", "Guide"),
    (
        "items.running_hint",
        "修改只影响之后提交的申请；在办件保留提交时的表单和流程版本。",
        "Edits apply to new applications; running cases keep the form and workflow version they started with.",
    ),
    ("items.legal_basis", "设定依据", "Legal basis"),
    ("items.conditions", "受理条件", "Conditions"),
    (
        "items.statutory_days",
        "法定办结时限（工作日）",
        "Statutory time limit (working days)",
    ),
    (
        "items.promised_days",
        "承诺办结时限（工作日）",
        "Promised time limit (working days)",
    ),
    (
        "items.visits",
        "到现场次数（0 为全程网办）",
        "Visits needed (0 = fully online)",
    ),
    ("items.materials", "申请材料", "Materials"),
    (
        "items.materials_hint",
        "来源为共享数据时填写 资源编码.字段编码；为电子证照时填写证照类型编码。清空编码和名称即删除该行。",
        "For shared data give resource.field; for an e-licence give the licence type code. Clear the code and name to remove a row.",
    ),
    ("items.required", "必需", "Required"),
    ("items.source", "来源", "Source"),
    ("items.from", "共享数据 / 证照类型", "Shared field / licence type"),
    ("items.fields", "申请表单", "Application form"),
    (
        "items.fields_hint",
        "约束：文本填最大字数；数字填 最小..最大；选项填 值=名称|值=名称。预填来源：资源编码.字段编码。",
        "Constraint: text — longest length; number — min..max; choice — value=label|value=label. Prefill: resource.field.",
    ),
    ("items.label", "名称", "Label"),
    ("items.spec", "约束", "Constraint"),
    ("items.personal", "个人信息", "Personal"),
    ("items.prefill", "预填来源", "Prefill from"),
    ("items.fees", "收费", "Fees"),
    ("items.amount", "金额（元）", "Amount (yuan)"),
    ("items.basis", "收费依据", "Basis"),
    ("items.more_rows", "增加空行", "Add rows"),
    ("items.licence", "电子证照", "E-licence"),
    (
        "items.licence_hint",
        "办结时签发电子证照的事项填写；证照类型为空表示不签发。",
        "Fill in if completing a case issues an e-licence; leave the type empty for none.",
    ),
    ("items.lic_type", "证照类型编码", "Licence type code"),
    ("items.lic_title", "证照名称", "Licence title"),
    ("items.lic_holder_name", "持证人名称字段", "Holder name field"),
    ("items.lic_holder_id", "持证人证件号字段", "Holder ID field"),
    (
        "items.lic_years",
        "有效年限（空为长期）",
        "Years valid (empty: no end)",
    ),
    ("items.lic_lines", "证照栏目", "Printed lines"),
    (
        "items.lic_lines_hint",
        "每行一项：栏目名称=表单字段编码",
        "One per line: label=form field code",
    ),
    ("items.save", "保存事项", "Save item"),
    (
        "items.created",
        "事项已创建。请设置办理流程，之后即可开放申请。",
        "The item is created. Set its workflow; then it can be opened for applications.",
    ),
    ("items.current_version", "当前版本", "Current version"),
    (
        "items.workflow_saved",
        "已保存为 v{version}，新申请按此版本办理；在办件继续按原版本办理。",
        "Saved as v{version}: new applications follow it; running cases keep theirs.",
    ),
    (
        "items.workflow_hint",
        "顺序为 受理 → 审查（可多步）→ 决定 → 办结。每步选择办理部门和角色；选择多个部门即为会签。保存即生成新版本；在办件继续按原版本办理。清空名称和部门即删除该行。",
        "Steps run accept → review (any number) → decide → issue. Choose each step's department and role; several departments make a joint review. Each save is a new version; running cases keep theirs. Clear the name and departments to remove a row.",
    ),
    ("items.step", "步骤", "Step"),
    ("items.assignees", "办理部门与角色", "Departments and roles"),
    ("items.department_n", "办理部门", "department"),
    ("items.role_n", "角色", "role"),
    ("items.no_department", "（不选）", "(none)"),
    ("items.mode", "会签方式", "Sign-off"),
    ("items.ratio", "同意数", "Agreements"),
    ("items.limit", "时限（工作日）", "Limit (working days)"),
    ("items.save_version", "保存为新版本", "Save as a new version"),
    ("items.versions", "历史版本", "Versions"),
    ("rules.title", "分类与分办规则", "Categories and routing"),
    (
        "rules.lead",
        "诉求分类（亦为 Open311 服务列表）、各类诉求的办理时限，以及按分类和区县把诉求分给承办部门的规则。",
        "The categories citizens choose (also the Open311 service list), time limits, and the rules that send items to departments by category and district.",
    ),
    ("rules.routing", "分办规则", "Routing rules"),
    (
        "rules.routing_hint",
        "指定区县的规则优先于“任意区县”的规则；没有规则的诉求等待人工分办。您可以为自己管理的部门设置规则。",
        "A rule for a district wins over the one for anywhere; items no rule covers wait for dispatch. You may set rules for the departments you manage.",
    ),
    ("rules.no_rules", "还没有分办规则。", "No routing rules yet."),
    ("rules.district", "区县编码", "District code"),
    ("rules.district_hint", "留空表示任意区县", "Empty: any district"),
    ("rules.anywhere", "任意区县", "Anywhere"),
    ("rules.remove", "删除", "Remove"),
    ("rules.set", "设置规则", "Set a rule"),
    ("rules.save_rule", "保存规则", "Save rule"),
    ("rules.categories", "诉求分类", "Categories"),
    ("rules.save", "保存", "Save"),
    ("rules.add_category", "新增分类", "Add a category"),
    ("rules.name_zh", "中文名称", "Chinese name"),
    ("rules.name_en", "英文名称", "English name"),
    ("rules.limits", "办理时限（工作日）", "Time limits (working days)"),
    (
        "rules.defaults",
        "未设置时的默认值：",
        "Defaults where none is set:",
    ),
    ("rules.every_category", "全部分类", "Every category"),
    ("rules.save_limit", "保存时限", "Save limit"),
    ("interact.withdraw", "不予公开", "Withdraw from public view"),
    (
        "interact.withdraw_hint",
        "公开内容已自动去除个人信息并屏蔽敏感词；如仍不宜公开，可撤下并说明理由，诉求人会收到通知。",
        "Public text already has personal data removed and sensitive words masked; if it still should not be public, withdraw it with a reason (the citizen is told).",
    ),
    ("services.topic", "主题", "Topic"),
    ("services.life_event", "人生事件", "Life event"),
    ("pulls.title", "定时抽取", "Scheduled pulls"),
    (
        "pulls.lead",
        "按计划从本部门的 PostgreSQL 或 MySQL 数据库读取一张表，作为该资源的新版本入库（与上传同样校验）。连接地址加密保存，显示时不含密码。",
        "Read a table of your department's PostgreSQL or MySQL database on a schedule into a new version of this resource, checked like an upload. The connection URL is stored encrypted and shown without its password.",
    ),
    ("pulls.none", "还没有定时抽取。", "No scheduled pulls yet."),
    ("pulls.source", "数据库", "Database"),
    ("pulls.table", "表", "Table"),
    ("pulls.every", "间隔（分钟）", "Every (minutes)"),
    ("pulls.next", "下次运行", "Next run"),
    ("pulls.last", "上次运行", "Last run"),
    ("pulls.actions", "操作", "Actions"),
    ("pulls.run", "立即运行", "Run now"),
    ("pulls.remove", "停止", "Stop"),
    ("pulls.add", "新增定时抽取", "Add a pull"),
    ("pulls.url", "连接地址", "Connection URL"),
    (
        "pulls.url_hint",
        "如 postgres://用户:密码@主机:5432/库 或 mysql://用户:密码@主机:3306/库；建议使用只读账号",
        "e.g. postgres://user:password@host:5432/db or mysql://user:password@host:3306/db; a read-only account is recommended",
    ),
    (
        "pulls.egress_hint",
        "数据库在内网或本机地址上时，须先由安全管理员将其网段列入本部门的出站地址白名单。",
        "A database on an internal or loopback address is reached only after the security administrator allows its range for your department.",
    ),
    ("approvals.title", "角色审批", "Role approvals"),
    (
        "approvals.lead",
        "系统管理员、安全管理员角色在工作台中授予时，须由另一位管理员（申请人和本人以外）批准后才生效。批准后该账号原密码和两步验证清空，由本人凭激活码自行设置。",
        "An administrator role (system or security administrator) granted in the console takes effect only after a second administrator — neither the requester nor the holder — approves it. On approval the account's password and two-step verification are cleared, and the holder sets their own with an activation code.",
    ),
    (
        "approvals.none",
        "没有待审批的角色。",
        "No roles are waiting for approval.",
    ),
    ("approvals.account", "账号", "Account"),
    ("approvals.role", "角色", "Role"),
    ("approvals.requested_by", "申请人", "Requested by"),
    ("approvals.approve", "批准", "Approve"),
    ("approvals.reject", "驳回", "Reject"),
    (
        "approvals.not_yours",
        "须由其他管理员审批",
        "Must be approved by another administrator",
    ),
    ("approvals.rejected", "已驳回。", "Rejected."),
    (
        "approvals.approved_title",
        "已批准：请把激活码交给本人",
        "Approved: hand the activation code to the holder",
    ),
    (
        "approvals.approved_lead",
        "{name}（{username}）的{role}角色已生效，原密码和两步验证已清空。激活码只显示这一次，系统不保存可读的激活码。",
        "The {role} role of {name} ({username}) is now in effect; their old password and two-step verification are cleared. The activation code is shown only this once and is not stored anywhere in readable form.",
    ),
    ("approvals.expires", "有效期至", "Valid until"),
    (
        "approvals.handover",
        "请当面或通过安全渠道把用户名和激活码交给本人。本人在门户登录页点击“管理员账号激活”（/activate）设置自己的密码，首次登录时设置自己的两步验证。激活码输错5次或过期后即失效，届时请撤销该角色后重新授予并审批。",
        "Give the user name and code to the holder in person or over a secure channel. They follow “Activate an administrator account” on the sign-in page (/activate) to set their own password, and set up their own two-step verification when they first sign in. The code stops working after five wrong tries or when it expires; then remove the role, grant it again and approve it again.",
    ),
    ("approvals.back", "返回角色审批", "Back to role approvals"),
    ("users.pending_title", "待审批的角色", "Roles awaiting approval"),
    (
        "users.pending_lead",
        "以下管理员角色须另一位管理员批准后生效。",
        "These administrator roles take effect once a second administrator approves them.",
    ),
    (
        "users.roles_pending",
        "管理员角色已提交审批，须另一位管理员批准后生效。",
        "The administrator role has been sent for approval and takes effect once another administrator approves it.",
    ),
    ("activate.title", "账号激活", "Activate your account"),
    (
        "activate.lead",
        "管理员角色经批准后，请用批准人交给您的激活码设置自己的密码；登录后再设置自己的两步验证。",
        "Once your administrator role is approved, set your own password with the activation code the approver handed you; you set up your own two-step verification when you sign in.",
    ),
    ("activate.code", "激活码", "Activation code"),
    (
        "activate.code_hint",
        "12位字母数字，如 ABCD-EFGH-JKMN；不区分大小写",
        "12 letters and digits, e.g. ABCD-EFGH-JKMN; any case",
    ),
    ("activate.password", "新密码", "New password"),
    ("activate.password2", "再次输入新密码", "New password again"),
    ("activate.submit", "设置密码", "Set my password"),
    (
        "activate.done",
        "密码已设置，请登录并设置两步验证。",
        "Your password is set. Sign in and set up two-step verification.",
    ),
    ("egress.title", "出站地址白名单", "Destination allow-list"),
    ("clients.title", "接入系统", "Department systems"),
    (
        "clients.lead",
        "调用平台接口的部门业务系统。每个系统凭编号和密钥换取10分钟有效的访问令牌，只能使用登记的权限范围。",
        "The departments' own systems that call the platform's API. Each exchanges its id and secret for a token valid 10 minutes, for the scopes registered here only.",
    ),
    (
        "clients.none",
        "还没有登记接入系统。",
        "No department system is registered yet.",
    ),
    ("clients.off", "已停用", "Disabled"),
    (
        "clients.sso_title",
        "统一身份认证接入",
        "Systems that sign people in",
    ),
    (
        "clients.sso_lead",
        "部门业务系统可使用本平台账号登录（OpenID Connect，授权码 + PKCE）。配置地址：",
        "Department systems can sign people in with their account here (OpenID Connect, authorization code with PKCE). Configuration:",
    ),
    (
        "clients.sso_none",
        "还没有登记使用统一身份认证的系统。",
        "No system signs people in through the platform yet.",
    ),
    (
        "clients.sso_add",
        "登记统一身份认证系统",
        "Register a system that signs people in",
    ),
    ("clients.sso_redirects", "回调地址", "Redirect URIs"),
    (
        "clients.sso_redirects_hint",
        "每行一个，须为 https 地址（本机测试可用 http://127.0.0.1）；登录后和退出后只会返回这些地址。",
        "One per line, https (http://127.0.0.1 for local tests); people are sent back only to these after signing in or out.",
    ),
    ("clients.sso_alg", "身份令牌签名算法", "ID token signature"),
    ("clients.sso_es256", "ES256（通用）", "ES256 (standard)"),
    ("clients.sso_sm2", "SM2（国密）", "SM2 (national algorithm)"),
    (
        "clients.sso_how",
        "该系统以 client_id 和 client_secret 按 OpenID Connect 接入，配置地址：",
        "The system connects by OpenID Connect with client_id and client_secret; configuration:",
    ),
    ("clients.scopes", "权限范围", "Scopes"),
    (
        "clients.scopes_hint",
        "以空格分隔，如 exchange.read（数据交换查询）、pool.load（报送数据）",
        "Separated by spaces, such as exchange.read (exchange lookups) or pool.load (loading data)",
    ),
    ("clients.created", "登记时间", "Registered"),
    ("clients.rotate", "更换密钥", "New secret"),
    ("clients.disable", "停用", "Disable"),
    ("clients.add", "登记接入系统", "Register a system"),
    ("clients.name", "系统名称", "System name"),
    ("clients.registered", "接入系统已登记", "System registered"),
    ("clients.rotated", "已更换密钥", "New secret issued"),
    (
        "clients.once",
        "密钥只显示这一次，请立即复制并交给该系统的管理员妥善保存；离开本页后无法再次查看。",
        "The secret is shown this once: copy it now and give it to the system's administrator to keep safe. It cannot be shown again.",
    ),
    (
        "clients.old_ended",
        "原密钥及其令牌已失效。",
        "The earlier secret and its tokens no longer work.",
    ),
    (
        "clients.how",
        "系统以 client_id 和 client_secret 调用 POST /api/v1/auth/token 换取访问令牌。",
        "The system calls POST /api/v1/auth/token with client_id and client_secret to get a token.",
    ),
    (
        "clients.back",
        "返回接入系统列表",
        "Back to the department systems",
    ),
    (
        "clients.disabled_done",
        "已停用该接入系统，其令牌已失效。",
        "The system is disabled and its tokens no longer work.",
    ),
    ("egress.added", "已放行该网段。", "The range is allowed."),
    (
        "egress.removed",
        "已撤销该网段，相关连接即时停止。",
        "The range is removed; connections to it stop at once.",
    ),
    (
        "users.created",
        "已创建工作人员账号。",
        "The staff account has been created.",
    ),
    (
        "users.locked_notice",
        "已锁定该账号，其登录会话已结束。",
        "The account is locked and its sessions have ended.",
    ),
    (
        "users.unlocked_notice",
        "已解锁，账号锁定和各地址的登录暂停均已解除。",
        "Unlocked: the account's lock and every address's sign-in pause are lifted.",
    ),
    (
        "users.admin_roles_hint",
        "授予系统管理员、安全管理员角色须另一位管理员批准；批准后由本人凭激活码设置密码，此处填写的密码届时作废。",
        "The system and security administrator roles need another administrator's approval; the holder then sets their own password with an activation code, and the password entered here stops working.",
    ),
    ("users.activation", "激活", "Activation"),
    (
        "users.activation_due",
        "待本人凭激活码设置密码（激活码有效期至{until}）",
        "Waiting for the holder to set a password with the activation code (valid until {until})",
    ),
    (
        "activate.link",
        "管理员账号激活",
        "Activate an administrator account",
    ),
    (
        "account.pauses_title",
        "安全提醒：有人多次用错误密码登录您的账号",
        "Security notice: someone tried your account with wrong passwords",
    ),
    (
        "account.pause_line",
        "{began}，来自 {source} 的连续错误尝试，",
        "{began}: repeated wrong attempts from {source}; ",
    ),
    (
        "account.pause_active",
        "该地址的尝试已暂停至 {until}。",
        "attempts from there are paused until {until}.",
    ),
    ("account.pause_over", "暂停已结束。", "the pause is over."),
    (
        "account.pauses_advice",
        "您从自己常用的网络登录不受影响。如果不是您本人所为，建议开启两步验证；如担心密码泄露，可到政务服务窗口重置密码。",
        "Signing in from your own network is not affected. If this was not you, turn on two-step verification; if you think your password is known, have it reset at a service hall window.",
    ),
    ("users.paused", "登录暂停", "Sign-in paused"),
    (
        "users.paused_line",
        "来自 {source} 的尝试暂停至 {until}（可解锁）",
        "Attempts from {source} paused until {until} (unlock to lift)",
    ),
    (
        "egress.lead",
        "变更通知的回调地址和定时抽取的数据库，默认只能是公网地址。部门系统在内网或本机地址上时，须在此为该部门（含下级部门）放行其网段并写明用途。云平台元数据服务地址（169.254.169.254）和宽于 /8 的网段一律不予放行。",
        "Webhook callbacks and scheduled-pull databases may only be on public addresses unless allowed here. When a department's system is on an internal or loopback address, allow its range for the department (and the departments below it) and say what it is for. Cloud metadata addresses (169.254.169.254) and ranges wider than /8 are never allowed.",
    ),
    (
        "egress.none",
        "白名单为空：变更通知和定时抽取只能连接公网地址。",
        "No ranges are allowed: webhooks and pulls reach public addresses only.",
    ),
    ("egress.cidr", "网段", "Range"),
    (
        "egress.cidr_hint",
        "地址或网段，如 10.20.0.0/16、10.0.3.7",
        "An address or range, e.g. 10.20.0.0/16 or 10.0.3.7",
    ),
    ("egress.purpose", "用途", "Purpose"),
    (
        "egress.purpose_hint",
        "哪个系统、做什么，如：人社局业务库（定时抽取）",
        "Which system and what for, e.g. the social-security database (scheduled pull)",
    ),
    ("egress.by", "放行人", "Allowed by"),
    ("egress.choose", "请选择部门", "Select a department"),
    ("egress.add", "放行网段", "Allow a range"),
    ("egress.remove", "撤销", "Remove"),
    ("interact.send", "提交", "Send"),
    (
        "interact.anonymous_hint",
        "未登录时可以匿名提出建议（每个网络地址每小时有次数限制），但无法查询办理进度。咨询、投诉、求助请先登录。",
        "Without signing in you may make a suggestion anonymously (a few an hour from one network address), \
         but you cannot follow it. To ask, complain or ask for help, sign in first.",
    ),
    (
        "interact.anonymous_sent",
        "这是匿名建议，请记下编号；答复公开后可在政民互动中查看。",
        "This suggestion is anonymous: note its number; if the reply is published you will find it on the board.",
    ),
    ("interact.suggest", "匿名提建议", "Make an anonymous suggestion"),
    (
        "interact.attachments_label",
        "附件（选填）",
        "Attachments (optional)",
    ),
    (
        "interact.attachments_hint",
        "照片或文件，最多",
        "Photos or documents, at most",
    ),
    ("interact.attachments_unit", "个", "files"),
    ("users.total_before", "共 ", "Total: "),
    ("users.total_after", " 人", " people"),
    (
        "interact.reselect",
        "请重新选择附件（出于安全原因，浏览器不会保留上次选择的文件）。",
        "Choose the files again (browsers do not keep them when a form comes back).",
    ),
    ("interact.attachments", "附件", "Attachments"),
    (
        "interact.none",
        "您还没有提交过诉求。",
        "You have not sent anything yet.",
    ),
    ("interact.number", "编号", "Number"),
    ("interact.submitted", "已收到您的诉求", "We have received it"),
    ("interact.rate", "评价答复", "Rate the reply"),
    ("interact.comment", "评价意见（选填）", "Comment (optional)"),
    (
        "interact.reopen",
        "不满意并要求重新办理（仅一次）",
        "Not satisfied: handle it again (once)",
    ),
    ("interact.send_rating", "提交评价", "Send rating"),
    (
        "interact.choose_rating",
        "请选择满意程度 / choose how satisfied you are",
        "Choose how satisfied you are",
    ),
    ("consult.title", "意见征集", "Consultations"),
    (
        "consult.lead",
        "政府部门公开征求意见的草案，欢迎逐条发表意见。",
        "Drafts departments are consulting on; comment section by section.",
    ),
    ("consult.none", "暂无意见征集。", "No consultations yet."),
    ("consult.open", "征求中", "Open"),
    ("consult.closed", "已结束", "Closed"),
    ("consult.feedback_out", "已公布采纳情况", "Feedback published"),
    (
        "consult.pre",
        "意见经审核后公开",
        "Comments are shown after review",
    ),
    (
        "consult.feedback",
        "意见采纳情况",
        "What was done with the comments",
    ),
    ("consult.view", "意见", "Comment"),
    ("consult.count", "条数", "How many"),
    ("consult.adoption", "采纳情况", "Outcome"),
    (
        "consult.reported_notice",
        "已收到您的举报，工作人员会尽快核查。",
        "Thank you; staff will look at the comment you reported.",
    ),
    ("consult.moderated_notice", "审核结果已保存。", "Review saved."),
    (
        "consult.text_under_review",
        "（该意见正在审核，暂不公开）",
        "(this comment is under review and not public)",
    ),
    ("consult.reason", "理由", "Reason"),
    ("consult.comments", "意见", "Comments"),
    ("consult.report", "举报", "Report"),
    ("consult.publish", "公开", "Publish"),
    ("consult.reject", "不予公开", "Reject"),
    ("consult.your_comment", "对此条的意见：", "Your comment on"),
    ("consult.send", "发表意见", "Send comment"),
    ("consult.sign_in", "登录后发表意见", "Sign in to comment"),
    (
        "consult.groups",
        "意见归类与采纳情况",
        "Comments grouped, and the feedback",
    ),
    ("consult.say_same", "条意见内容相同", "comments say this"),
    ("consult.publish_feedback", "公布采纳情况", "Publish the feedback"),
    ("survey.title", "问卷调查", "Surveys"),
    (
        "survey.lead",
        "参与政府部门的问卷调查，每个实名账号可作答一次。",
        "Take part in departments' surveys; each verified account answers once.",
    ),
    ("survey.none", "暂无问卷。", "No surveys yet."),
    ("survey.open", "进行中", "Open"),
    ("survey.closed", "已结束", "Closed"),
    ("survey.responses", "份回答", "responses"),
    ("survey.results", "查看结果", "Results"),
    (
        "survey.already",
        "您已作答过此问卷，谢谢参与。",
        "You have answered this survey. Thank you.",
    ),
    (
        "survey.not_open",
        "此问卷不在作答期内。",
        "This survey is not open for answers.",
    ),
    ("survey.sign_in", "登录后作答", "Sign in to answer"),
    ("survey.optional", "选答", "optional"),
    ("survey.worst", "很不满意", "very poor"),
    ("survey.best", "非常满意", "very good"),
    ("survey.submit", "提交问卷", "Send answers"),
    ("survey.thanks", "感谢您的参与", "Thank you for taking part"),
    ("survey.export", "导出全部回答", "Export every answer"),
    ("survey.answered", "人作答", "answered"),
    (
        "survey.multiple_note",
        "可多选，比例按作答人数计算，合计可超过100%",
        "several choices allowed: shares are of the people who answered and may add up to more than 100%",
    ),
    (
        "survey.rating_note",
        "1分最不满意，5分最满意",
        "1 is least satisfied, 5 most",
    ),
    (
        "survey.text_note",
        "文字回答仅向组织部门展示",
        "answers in words are shown only to the department running the survey",
    ),
    ("survey.average", "平均分", "average"),
    (
        "survey.latest_texts",
        "最新的文字回答（仅部门可见）",
        "Latest written answers (department only)",
    ),
    ("bundle.tag", "一件事一次办", "One application, several services"),
    ("bundle.title", "一件事一次办", "Life events: one application"),
    (
        "bundle.lead",
        "一次填写、一次提交，多个部门同时办理。",
        "Fill in one form once; several departments handle it together.",
    ),
    ("bundle.items", "包含的事项", "Services included"),
    ("bundle.item", "事项", "Service"),
    (
        "bundle.once",
        "所有事项共用一张表，共",
        "One form for all of them:",
    ),
    ("bundle.questions", "个问题", "questions"),
    ("bundle.submitted", "一件事申请已提交", "Application submitted"),
    ("bundle.submitted_at", "提交时间", "Submitted"),
    ("bundle.cases", "各部门办件", "Cases in each department"),
    ("bundle.count", "个事项", "services"),
    ("messages.title", "我的消息", "Messages"),
    ("messages.none", "暂无消息。", "No messages yet."),
    ("messages.unread", "未读", "Unread"),
    ("messages.new", "新", "New"),
    ("messages.mark_read", "全部标为已读", "Mark all read"),
    (
        "messages.staff_lead",
        "发给您所任岗位的待办提醒和申请人操作，最新的在前。",
        "Tasks reaching the roles you hold and applicants' actions, newest first.",
    ),
    ("messages.when", "时间", "When"),
    ("messages.to", "发给岗位", "To role"),
    ("messages.text", "内容", "Message"),
    ("material.title", "申请材料", "Materials"),
    ("material.uploaded", "已上传", "Uploaded"),
    ("material.licence", "使用电子证照", "Using e-licence"),
    ("material.not_given", "未提交（非必需）", "Not given (optional)"),
    (
        "material.bad_upload",
        "上传未完成，请重试 / the upload did not complete, please try again",
        "The upload did not complete; please try again",
    ),
    (
        "material.too_big",
        "文件太大，不得超过",
        "The file is too large; the limit is",
    ),
    ("material.required", "请提供材料", "Please provide"),
    (
        "material.licence_choice",
        "您持有可用于此材料的电子证照，选择后无需上传：",
        "You hold an e-licence that serves as this material; choose it and nothing needs uploading:",
    ),
    ("material.upload_instead", "改为上传文件", "Upload a file instead"),
    (
        "material.replace",
        "选择新文件可替换。",
        "Choose a new file to replace it.",
    ),
    ("material.choose", "选择文件", "Choose a file"),
    (
        "material.types",
        "PDF、PNG 或 JPEG，不超过",
        "PDF, PNG or JPEG, at most",
    ),
    ("material.download", "下载", "Download"),
    ("services.prefilled", "已为您预填。", "Filled in for you."),
    ("services.prefilled_source", "来源", "Source"),
    (
        "services.prefilled_wrong",
        "信息有误？请直接改为正确的内容。办理部门会看到您的更正，并请提供数据的部门核实。",
        "Is this wrong? Change it to what is right. The department handling your case will see the correction and ask the department that holds the data to check it.",
    ),
    ("services.prefilled_tag", "预填", "Prefilled"),
    (
        "services.resumed",
        "已恢复您上次未提交的填报内容，请逐页核对。",
        "We kept what you answered last time and did not submit. Check each page.",
    ),
    ("services.start_over", "重新填写", "Start again"),
    ("cases.rating", "您的评价", "Your rating"),
    ("nav.rectifications", "差评整改", "Rectifications"),
    ("nav.supervise", "办件督查", "Supervision"),
    ("supervise.title", "办件督查", "Case supervision"),
    (
        "supervise.lead",
        "您督办范围内已超期和临近期限（2个工作日内）的办件，期限最近的在前。",
        "Open cases in your scope that are overdue or due within two working days, soonest first.",
    ),
    ("supervise.open", "在办", "Open"),
    (
        "supervise.overdue",
        "超期（承诺时限）",
        "Overdue (promised limit)",
    ),
    (
        "supervise.statutory_overdue",
        "超过法定时限",
        "Past the statutory limit",
    ),
    ("supervise.due_soon", "临期", "Due soon"),
    ("supervise.finished", "已办结", "Finished"),
    (
        "supervise.average",
        "平均办理用时（工作日）",
        "Average handling time (working days)",
    ),
    (
        "supervise.none",
        "没有超期或临期的办件。",
        "No overdue or near-due cases.",
    ),
    ("rect.title", "差评整改", "Rectifications after bad ratings"),
    (
        "rect.lead",
        "申请人给出“不满意”或“非常不满意”的办件，须在15个工作日内整改并回访申请人。",
        "Cases rated dissatisfied must be put right, and the applicant called back, within 15 working days.",
    ),
    ("rect.none", "没有差评整改。", "No rectifications."),
    ("rect.case", "办件", "Case"),
    ("rect.complaint", "评价与原因", "Rating and reason"),
    ("rect.due", "整改期限", "Due"),
    ("rect.status", "状态", "Status"),
    ("rect.measures", "整改措施", "Measures taken"),
    ("rect.callback", "回访记录", "Call-back record"),
    ("rect.satisfied", "申请人对整改满意", "The applicant is satisfied"),
    ("rect.close", "整改完成并回访", "Close after calling back"),
    (
        "rect.closed_notice",
        "整改已办结。",
        "The rectification is closed.",
    ),
    ("cases.rate_title", "评价本次服务（好差评）", "Rate this service"),
    (
        "cases.rate_lead",
        "您对本次办理满意吗？",
        "How satisfied are you with how this was handled?",
    ),
    ("cases.rate_comment", "意见和建议", "Comments"),
    (
        "cases.rate_comment_hint",
        "选择“不满意”或“非常不满意”时请说明原因，部门将在15个工作日内整改并回访。",
        "If you are dissatisfied, say why: the department will put it right within 15 working days and call you back.",
    ),
    ("cases.rate_send", "提交评价", "Send rating"),
    (
        "cases.rate_pick",
        "请选择满意程度 / choose how satisfied you are",
        "Choose how satisfied you are",
    ),
    (
        "case.prefill_corrected",
        "申请人已更正预填值",
        "The applicant corrected the prefilled value",
    ),
    (
        "services.held_by_government",
        "政府部门已有，由系统共享获取",
        "Government already holds it and shares it",
    ),
    (
        "services.held_as_licence",
        "使用您已有的电子证照",
        "Taken from an e-licence you hold",
    ),
    ("services.you_will_be_asked", "需要填写", "You will be asked for"),
    ("services.process", "办理流程", "How it is handled"),
    ("services.fees", "收费", "Fees"),
    ("services.free", "不收费", "Free"),
    ("services.question", "问题", "Question"),
    ("services.max_chars", "最多字数：", "Most characters:"),
    ("services.date_hint", "如 2026-01-02", "Such as 2026-01-02"),
    (
        "services.id_hint",
        "18位公民身份号码",
        "The 18-character citizen ID number",
    ),
    (
        "services.personal_hint",
        "此项为个人信息，将加密保存。",
        "This is personal data and is stored encrypted.",
    ),
    (
        "services.optional_hint",
        "此项可不填。",
        "You may leave this blank.",
    ),
    ("services.check", "核对您的填报内容", "Check your answers"),
    (
        "services.exempt_title",
        "以下材料无需提交",
        "You do not need to send these",
    ),
    ("services.now_send", "提交申请", "Now send your application"),
    (
        "services.declaration",
        "提交即表示您确认所填内容真实准确。",
        "By sending this you confirm the answers are true.",
    ),
    ("services.submit", "确认提交", "Accept and send"),
    ("cases.mine", "我的办件", "My cases"),
    ("cases.none", "您还没有办件。", "You have no cases yet."),
    ("cases.number", "办件编号", "Case number"),
    ("cases.item", "事项", "Service"),
    ("cases.status", "状态", "Status"),
    ("cases.submitted", "提交时间", "Submitted"),
    ("cases.due", "承诺办结日", "Due"),
    ("cases.department", "办理部门", "Department"),
    ("cases.remaining", "剩余", "left:"),
    ("cases.overdue_by", "已超期", "overdue by"),
    ("cases.keep_if_empty", "，不改请留空", "; leave empty to keep it"),
    ("cases.submitted_title", "申请已提交", "Application sent"),
    ("cases.promised_by", "承诺办结日期：", "We promise a result by"),
    ("cases.decision", "办理决定", "Decision"),
    ("cases.supplement", "补正告知", "Supplement needed"),
    (
        "cases.supplement_lead",
        "请一次性补正以下内容（补正期间不计入办理时限）：",
        "Please supplement all of the following (the time limit stops meanwhile):",
    ),
    ("cases.supplement_note", "补正说明", "What you supplemented"),
    ("calendar.title", "节假日安排", "Holiday schedule"),
    (
        "calendar.lead",
        "办理期限按工作日计算。尚未公布节假日安排的年份，期限按周末和法定节假日暂定；录入该年安排后，受影响的办件会重新计算期限并通知申请人。",
        "Time limits count working days. For a year whose schedule has not been announced, deadlines count weekends and statutory holidays only and are marked provisional; once the year is entered, the cases it moves are recounted and their applicants told.",
    ),
    ("calendar.year", "年份", "Year"),
    ("calendar.state", "状态", "State"),
    ("calendar.holidays", "放假安排", "Holidays"),
    ("calendar.shipped", "随版本发布", "Shipped with this release"),
    ("calendar.entered", "管理员录入", "Entered by an administrator"),
    (
        "calendar.provisional",
        "未公布（按法定节假日暂定）",
        "Not announced (statutory holidays only, provisional)",
    ),
    ("calendar.enter", "录入年度安排", "Enter a year's schedule"),
    (
        "calendar.enter_lead",
        "按国务院办公厅通知填写放假日期和调休上班日期。尚未公布的年份已按法定节假日预填，请改为通知中的日期范围并补充调休上班日。",
        "Enter the days off and the make-up workdays from the State Council's notice. A year not yet announced starts with its statutory holidays; change them to the notice's ranges and add the make-up workdays.",
    ),
    ("calendar.enter_year", "录入或更正", "Enter or correct"),
    ("calendar.holiday_name", "假期名称", "Holiday"),
    ("calendar.from", "放假第一天", "First day off"),
    ("calendar.to", "放假最后一天", "Last day off"),
    ("calendar.makeup", "调休上班日", "Make-up workdays"),
    ("calendar.makeup_day", "上班日期", "Workday"),
    (
        "calendar.text_hint",
        "日期写作 年-月-日；只放一天的假期可不填最后一天。清空一行即删除该行。",
        "Write days as Y-m-d; a one-day holiday needs no last day. Clear a row to remove it.",
    ),
    (
        "calendar.save",
        "保存并重新计算期限",
        "Save and recount deadlines",
    ),
    (
        "calendar.entered_notice",
        "已录入{years}年节假日安排；检查了{checked}个在办件、诉求和整改的期限，其中{moved}个已调整并通知申请人。",
        "Entered the holiday schedule for {years}; {checked} open cases, items and rectifications checked, {moved} moved and their applicants told.",
    ),
    (
        "calendar.missing_warning",
        "{year}年节假日安排尚未录入，跨年的办理期限目前按法定节假日暂定。",
        "The holiday schedule for {year} has not been entered; deadlines running into it count statutory holidays only for now.",
    ),
    (
        "calendar.missing_action",
        "录入节假日安排",
        "Enter the holiday schedule",
    ),
    (
        "cases.supplement_files",
        "上传补正材料",
        "Upload what was asked for",
    ),
    (
        "cases.supplement_files_hint",
        "每项可上传一个文件，一次合计不超过30 MiB",
        "one file per entry, at most 30 MiB in all",
    ),
    ("cases.supplement_values", "更正填写内容", "Correct your answers"),
    (
        "cases.supplement_values_hint",
        "如无需更正，保持原样即可。",
        "Leave them as they are if nothing needs correcting.",
    ),
    (
        "cases.supplemented",
        "补正已提交，办理时限恢复计算。",
        "Supplement sent; the time limit runs again.",
    ),
    ("cases.due_provisional", "暂定", "provisional"),
    (
        "cases.due_provisional_hint",
        "下一年度节假日安排尚未公布，此日期按周末和法定节假日暂定，公布后将重新计算并通知您。",
        "Next year's holiday schedule has not been announced; this date counts weekends and statutory holidays only and will be recounted, and you told, once it is.",
    ),
    ("cases.supplement_send", "提交补正", "Send the supplement"),
    ("cases.timeline", "办理进度", "Progress"),
    ("cases.withdraw", "撤回申请", "Withdraw the application"),
    ("cases.withdraw_reason", "撤回理由", "Reason"),
    ("cases.withdraw_confirm", "确认撤回", "Withdraw"),
    ("case.action.submitted", "提交申请", "Application sent"),
    ("case.action.accepted", "已受理", "Accepted"),
    ("case.action.not_accepted", "不予受理", "Not accepted"),
    (
        "case.action.supplement_requested",
        "补正告知",
        "Supplement requested",
    ),
    ("case.action.supplemented", "已补正", "Supplemented"),
    (
        "case.action.due_recounted",
        "节假日安排公布，期限重新计算",
        "Due date recounted after the holiday schedule was announced",
    ),
    ("case.action.clock_paused", "中止计时", "Clock stopped"),
    ("case.action.clock_resumed", "恢复计时", "Clock started again"),
    ("case.action.approved", "准予许可", "Granted"),
    ("case.action.denied", "不予许可", "Refused"),
    ("case.action.refused", "不予办理", "Refused"),
    ("case.action.agreed", "准予办理", "Approved"),
    ("case.action.completed", "已办结", "Completed"),
    ("case.action.withdrawn", "已撤回", "Withdrawn"),
    ("case.action.rated", "评价", "Rated"),
    ("case.action.transferred", "已转办", "Transferred"),
    ("case.action.reviewed", "审查意见", "Reviewed"),
    ("case.action.note", "内部意见", "Internal note"),
    ("case.action.delegated", "已指派", "Delegated"),
    (
        "case.action.extension_requested",
        "申请延期",
        "Extension requested",
    ),
    ("nav.cases", "办件", "Cases"),
    ("inbox.title", "待办办件", "Case inbox"),
    ("inbox.desks", "岗位", "Desks"),
    ("inbox.all", "全部待办", "All open"),
    ("inbox.due_soon", "临期（黄牌）", "Due soon (yellow)"),
    ("inbox.overdue", "超期（红牌）", "Overdue (red)"),
    ("inbox.normal", "正常", "On time"),
    ("inbox.empty", "没有待办办件。", "Nothing to do."),
    ("inbox.step", "环节", "Step"),
    ("inbox.due", "环节期限", "Step due"),
    ("inbox.mark", "预警", "Mark"),
    ("case.form", "申请表", "Application form"),
    ("case.masked", "已脱敏", "masked"),
    ("case.reveal", "查看完整信息", "See a masked answer in full"),
    (
        "case.reveal_hint",
        "核对证件或联系申请人时，可逐项查看脱敏信息，须说明原因；每次查看都记入办件记录和安全账本，原因和说明会原样显示给申请人。",
        "To check papers or reach the applicant, see one masked answer at a time, saying why; each look is recorded in the case timeline and the ledger, and the applicant sees the reason and your explanation as written.",
    ),
    ("case.reveal_field", "查看哪一项", "Which answer"),
    ("case.reveal_reason", "原因", "Reason"),
    (
        "case.reveal_note",
        "说明（选择“其他”时必填）",
        "Explanation (required with Other)",
    ),
    ("form.choose", "请选择", "Choose"),
    ("case.reveal_submit", "查看并记录", "Show and record"),
    (
        "case.action.value_revealed",
        "工作人员查看个人信息",
        "Personal data viewed by staff",
    ),
    (
        "reveal.recorded",
        "本次查看已记入办件记录（申请人可见）和安全账本。",
        "This look is recorded in the case timeline (the applicant sees it) and in the ledger.",
    ),
    ("reveal.reason", "查看原因", "Reason"),
    (
        "reveal.not_kept",
        "此页不会被浏览器保存；离开后如需再看，须重新说明原因。",
        "Your browser does not keep this page; to see the answer again, give a reason again.",
    ),
    ("reveal.back", "返回办件", "Back to the case"),
    ("case.act", "办理", "Act"),
    ("case.note_optional", "意见（可选）", "Note (optional)"),
    ("case.choose_action", "办理结果", "What to do"),
    ("case.submit_action", "提交", "Submit"),
    ("case.accept", "受理", "Accept"),
    ("case.refuse", "不予受理", "Refuse to accept"),
    ("case.refuse_reason", "不予受理理由", "Reason for refusing"),
    (
        "case.missing",
        "补正内容（每行一项，一次性列全）",
        "What is missing (one per line, all at once)",
    ),
    (
        "case.missing_hint",
        "补正期间办理时限暂停；只能补正一次。",
        "The time limit stops meanwhile; a case is sent back for supplement once only.",
    ),
    ("case.ask_supplement", "一次性告知补正", "Ask for the supplement"),
    (
        "case.opinion",
        "审查意见（不同意时必填）",
        "Opinion (required to disagree)",
    ),
    ("case.agree", "同意", "Agree"),
    ("case.disagree", "不同意", "Disagree"),
    (
        "case.reasons",
        "理由（作出不予决定时必填）",
        "Reasons (required to deny)",
    ),
    (
        "case.legal_basis",
        "法律依据（作出不予决定时必填）",
        "Legal basis (required to deny)",
    ),
    ("case.approve", "准予许可", "Grant"),
    ("case.approve_service", "准予办理", "Approve"),
    ("case.deny", "不予许可", "Refuse"),
    ("case.deny_service", "不予办理", "Refuse"),
    ("case.issue", "办结出证", "Issue and complete"),
    ("case.tasks", "各环节", "Steps"),
    ("case.internal", "内部", "internal"),
    (
        "case.add_note",
        "内部意见（申请人不可见）",
        "Internal note (the applicant does not see it)",
    ),
    ("case.save_note", "保存意见", "Save the note"),
    (
        "case.pause",
        "中止计时（征求意见、听证、检验检测）",
        "Stop the clock (consultation, hearing, testing)",
    ),
    ("case.pause_reason", "中止原因", "Why"),
    (
        "case.pause_note",
        "说明（申请人可见）",
        "Explanation (the applicant sees it)",
    ),
    ("case.paused", "计时已中止", "The clock is stopped"),
    ("case.resume", "恢复计时", "Start the clock again"),
    ("case.transfer", "转办", "Transfer"),
    ("case.transfer_to", "转至部门", "To department"),
    ("case.transfer_reason", "转办理由", "Why it is transferred"),
    ("case.delegate", "委托同事办理", "Delegate to a colleague"),
    ("case.delegate_to", "同事的登录名", "Colleague's user name"),
    (
        "case.delegate_hint",
        "须在本环节的部门担任相同角色",
        "They must hold this step's role in its department",
    ),
    ("case.extend", "申请延期", "Ask for an extension"),
    (
        "case.extend_days",
        "延长工作日数（1–30）",
        "Working days more (1–30)",
    ),
    ("case.extend_reason", "延期理由", "Why more time is needed"),
    ("case.extension", "延期", "Extension"),
    ("case.extension_approve", "批准延期", "Approve the extension"),
    ("case.extension_reject", "不批准", "Reject"),
    ("nav.seals", "电子印章", "Seals"),
    ("nav.licences", "电子证照", "E-licences"),
    ("nav.verify", "证照核验", "Verify a licence"),
    ("verify.title", "电子证照核验", "Verify an e-licence"),
    (
        "verify.lead",
        "输入证照编号和校验码，或上传证照文件（JSON），核验是否由本平台的部门印章签发、是否被改动、注销或过期。无需登录。",
        "Enter a licence number and its verification code, or upload the licence file (JSON), to check that a department seal of this platform signed it and that it has not been changed, revoked or expired. No sign-in needed.",
    ),
    ("verify.by_number", "按证照编号核验", "By licence number"),
    (
        "verify.by_file",
        "上传证照文件核验",
        "By uploading the licence file",
    ),
    (
        "verify.number_hint",
        "如 DZZZ-2026-00000001",
        "Such as DZZZ-2026-00000001",
    ),
    ("verify.file", "证照文件", "Licence file"),
    (
        "verify.file_hint",
        "持证人下载的 .json 文件，不超过 256 KiB",
        "The .json file the holder downloaded, at most 256 KiB",
    ),
    ("verify.check", "核验", "Verify"),
    ("verify.again", "核验其他证照", "Verify another licence"),
    ("verify.result", "核验结果", "Verification result"),
    (
        "verify.unknown_number",
        "没有找到该证照，或校验码不正确",
        "No licence has this number, or the verification code is wrong",
    ),
    ("verify.code", "校验码", "Verification code"),
    (
        "verify.code_hint",
        "证照上印在编号旁的8位校验码，扫描二维码时会自动带上",
        "The 8-character code printed beside the number on the licence; scanning its QR code fills it in",
    ),
    (
        "verify.number_needed",
        "请输入证照编号",
        "Enter the licence number",
    ),
    (
        "verify.code_needed",
        "请输入证照上的校验码",
        "Enter the verification code printed on the licence",
    ),
    (
        "verify.no_file",
        "请选择证照文件 / choose the licence file",
        "Choose the licence file",
    ),
    (
        "verify.too_big",
        "文件超过 256 KiB，不是证照文件 / the file is over 256 KiB: not a licence file",
        "The file is over 256 KiB: not a licence file",
    ),
    (
        "verify.bad_upload",
        "上传失败，请重试 / the upload failed; try again",
        "The upload failed; try again",
    ),
    (
        "verify.offline_hint",
        "离线核验：用 tongban seal export-certs 导出的公开印章证书，运行 tongban verify 文件 --certs 目录。",
        "Offline: with the public seal certificates exported by tongban seal export-certs, run tongban verify FILE --certs DIR.",
    ),
    ("licence.number", "证照编号", "Licence number"),
    ("licence.title", "证照名称", "Licence"),
    ("licence.issuer", "发证部门", "Issued by"),
    ("licence.holder", "持证人", "Holder"),
    ("licence.holder_id", "证件号码", "Identifier"),
    ("licence.valid", "有效期", "Valid"),
    ("licence.no_end", "长期", "no end date"),
    ("licence.seal", "电子印章", "Seal"),
    ("licence.signed_at", "签章时间", "Signed at"),
    ("licence.issued", "签发日期", "Issued"),
    ("licence.status", "状态", "Status"),
    ("licence.case", "办件编号", "Case number"),
    ("licence.digest", "摘要", "digest"),
    ("licence.mine", "我的证照", "My licences"),
    (
        "licence.mine_lead",
        "政府部门为您签发的电子证照。办理其他事项时，已有的证照无需再提交。",
        "The e-licences departments issued to you. When you apply for other services, licences you hold need not be handed in again.",
    ),
    ("licence.none", "暂无电子证照。", "No e-licences yet."),
    ("licence.qr_label", "核验二维码", "Verification QR code"),
    (
        "licence.qr_caption",
        "扫码或访问以下地址核验本证照：",
        "Scan or visit this address to verify this licence:",
    ),
    (
        "licence.download",
        "下载证照文件（JSON）",
        "Download the licence file (JSON)",
    ),
    (
        "licence.download_hint",
        "带数字签名的文件，可在线或离线核验真伪。",
        "A digitally signed file anyone can verify, online or offline.",
    ),
    ("seals.title", "电子印章", "Electronic seals"),
    (
        "seals.lead",
        "部门印章用于签发电子证照：SM2 密钥对，私钥仅以主密钥加密保存；公开证书由平台作为制章者签名。",
        "Department seals sign e-licences: an SM2 key pair whose private key is kept only encrypted under the master key; the platform signs the public certificate as seal maker.",
    ),
    ("seals.none", "暂无印章。", "No seals yet."),
    ("seals.department", "所属部门", "Department"),
    ("seals.validity", "有效期", "Valid"),
    ("seals.fingerprint", "公钥指纹", "Key fingerprint"),
    ("seals.not_valid_today", "今日无效", "not valid today"),
    ("seals.key", "密钥", "Key"),
    ("seals.retired", "已更换密钥，停用", "retired, key replaced"),
    ("seals.rotate", "更换密钥", "Replace the key"),
    (
        "seals.rotate_confirm",
        "将为此印章生成新密钥对：同名新印章即时起用印，此印章立即停用且不能恢复；已签发的证照仍可验证。",
        "A new key pair is made: a seal of the same name signs from this moment and this one is retired for good; licences already issued still verify.",
    ),
    ("seals.rotate_do", "确认更换", "Replace it"),
    (
        "seals.rotated",
        "密钥已更换：同名新印章即时起用印，旧印章停用，其签发的证照仍可验证。离线核验方需要新证书：请由运维人员运行 tongban seal export-certs 重新导出。",
        "Key replaced: a seal of the same name signs from now on; the old one is retired and what it signed still verifies. Offline verifiers need the new certificate: an operator exports them again with tongban seal export-certs.",
    ),
    ("seals.add", "制作印章", "Make a seal"),
    (
        "seals.add_hint",
        "只有部门管理员可以为本部门制作印章。",
        "Only a department's administrator can make its seals.",
    ),
    ("seals.name", "印章名称", "Name on the seal"),
    (
        "seals.name_hint",
        "如 示范市市场监督管理局证照专用章",
        "Such as 示范市市场监督管理局证照专用章",
    ),
    ("seals.valid_from", "启用日期", "First day"),
    ("seals.valid_to", "截止日期", "Last day"),
    ("seals.create", "制作", "Make the seal"),
    ("licences.title", "已签发证照", "Issued e-licences"),
    (
        "licences.lead",
        "本部门签发的电子证照。注销后，在线核验立即显示已注销。",
        "E-licences your departments issued. Once revoked, online verification shows it at once.",
    ),
    ("licences.revoke", "注销", "Revoke"),
    ("licences.reason", "注销理由", "Reason"),
    ("licences.revoke_confirm", "确认注销", "Revoke the licence"),
    ("licences.revoked_notice", "已注销 / revoked:", "Revoked:"),
    ("query.title", "数据查询", "Data query"),
    (
        "query.lead",
        "用 SQL 查询数据池。只能看到本部门获授权的资源和信息项；个人信息按授权脱敏；每次查询都记入安全账本。",
        "Query the data pool in SQL. You see only the resources and fields your department holds grants for; personal data is masked as the grant says; every query is recorded in the ledger.",
    ),
    ("query.sql", "SQL 语句", "SQL"),
    (
        "query.sql_hint",
        "只读查询（SELECT / WITH / EXPLAIN）。表名是资源代码，须加双引号，如 \"9901-SJ-0001\"。",
        "Read-only (SELECT, WITH, EXPLAIN). Tables are resource codes in double quotes, e.g. \"9901-SJ-0001\".",
    ),
    (
        "query.purpose",
        "用途（记入账本）",
        "Purpose (recorded in the ledger)",
    ),
    ("query.run", "运行", "Run"),
    ("query.explain", "查看执行计划", "Show plan"),
    ("query.download_csv", "下载 CSV", "Download CSV"),
    ("query.download_xlsx", "下载 XLSX", "Download XLSX"),
    ("query.result", "查询结果", "Result"),
    ("query.plan", "执行计划", "Plan"),
    ("query.rows", "行", "rows"),
    ("query.row", "行", "row"),
    (
        "query.truncated",
        "结果已截断，请缩小范围或下载",
        "result cut short: narrow it down or download it",
    ),
    ("query.tables", "可查询的表", "Tables you may query"),
    (
        "query.no_tables",
        "本部门尚无可查询的数据。可在数据目录中提出共享申请。",
        "Your department has no data to query yet. File a sharing request from the data catalog.",
    ),
    ("query.filtered", "按授权限定行", "rows limited by the grant"),
    ("query.try", "查询前100行", "Query the first 100 rows"),
    ("query.column", "列名", "Column"),
    ("query.shown", "显示方式", "Shown as"),
    (
        "query.basis_provider",
        "本部门提供",
        "provided by your department",
    ),
    ("query.basis_grant", "共享授权", "shared with you"),
    ("query.basis_open", "开放数据", "open data"),
    ("query.shown_plain", "原值", "as stored"),
    ("query.shown_masked", "脱敏", "masked"),
    ("query.shown_clear", "明文（授权）", "clear text (granted)"),
    (
        "query.shown_blind_index",
        "盲索引（可用于关联，不可还原）",
        "blind index (joins, cannot be reversed)",
    ),
    ("upload.title", "上传数据", "Upload data"),
    ("mapping.title", "字段映射", "Column mapping"),
    (
        "mapping.lead",
        "为每个数据项填写源文件（或推送批次）中对应的列名，以后每次导入都按此映射。留空的数据项按列名或中文名自动匹配；全部留空即清除已保存的映射。",
        "Name the source column (in files or pushed batches) that feeds each field; every later load uses this mapping. Fields left blank are matched by code or Chinese name; leaving all blank clears the saved mapping.",
    ),
    (
        "mapping.hint",
        "导入时源列名与数据项不一致时使用",
        "use it when the source's column names differ from the fields",
    ),
    ("mapping.column", "源列名", "Source column"),
    ("mapping.save", "保存映射", "Save mapping"),
    (
        "mapping.saved",
        "字段映射已保存。",
        "The column mapping is saved.",
    ),
    (
        "mapping.saved_at",
        "已保存的映射，保存于",
        "Saved mapping, saved at",
    ),
    (
        "mapping.none",
        "尚未保存映射：导入时按列名自动匹配。",
        "No mapping saved yet: loads match columns by name.",
    ),
    (
        "upload.lead",
        "上传 CSV 文件（UTF-8 或 GBK 编码，首行为列名）、XLSX 工作簿（读取第一个工作表，首行为列名）或 JSON Lines 文件（每行一个 JSON 对象）。每次上传生成一个新的数据版本；有问题的行不会中断导入，而是列入拒绝报告。",
        "Upload a CSV file (UTF-8 or GBK, column names in the first row), an XLSX workbook (its first sheet, column names in the first row) or a JSON Lines file (one JSON object per line). Each upload becomes a new data version; bad rows never stop the load, they go to the reject report.",
    ),
    ("upload.file", "文件", "File"),
    (
        "upload.file_hint",
        "列名按信息项名称或编码自动对应",
        "Columns are matched to fields by name or code",
    ),
    ("upload.submit", "上传并导入", "Upload and load"),
    ("upload.progress", "导入进度", "Load progress"),
    ("upload.running", "正在导入，已读取", "Loading; rows read:"),
    (
        "upload.rows",
        "行（页面每2秒刷新）",
        "(this page refreshes every 2 seconds)",
    ),
    (
        "upload.failed",
        "导入失败，原有数据版本不受影响。",
        "The load failed; existing versions are untouched.",
    ),
    ("upload.done", "导入完成：数据版本", "Loaded: version"),
    ("upload.accepted", "接收行数", "Rows accepted"),
    ("upload.rejected", "拒绝行数", "Rows rejected"),
    ("upload.encoding", "文件编码", "Encoding"),
    (
        "upload.reject_report",
        "下载拒绝报告",
        "Download the reject report",
    ),
    (
        "upload.reject_report_xlsx",
        "下载拒绝报告（XLSX）",
        "Download the reject report (XLSX)",
    ),
    ("upload.format", "文件格式", "File format"),
    ("error.bad_request", "请求有误：", "The request is not valid:"),
    (
        "error.too_large",
        "提交的内容太大。",
        "What you sent is too large.",
    ),
    (
        "error.passwords_differ",
        "两次输入的密码不一致 / the passwords differ",
        "the passwords differ",
    ),
    ("error.back_home", "返回首页", "Back to home"),
    ("users.roles_saved", "角色已保存。", "Roles saved."),
    (
        "users.role_locked",
        "（仅系统管理员可更改）",
        "(only a system administrator can change this)",
    ),
    ("error.back_console", "返回工作台首页", "Back to the console home"),
    ("notice.saved", "已保存。", "Saved."),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_the_default_and_the_cookie_wins() {
        assert_eq!(Lang::negotiate(None, None), Lang::Zh);
        assert_eq!(Lang::negotiate(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::negotiate(None, Some("en;q=0.5, zh-CN;q=0.8")), Lang::Zh);
        assert_eq!(Lang::negotiate(Some("en"), Some("zh-CN")), Lang::En);
        assert_eq!(Lang::negotiate(Some("xx"), Some("fr")), Lang::Zh);
    }

    /// The crate's templates and handlers (`.html` and `.rs` under `src`), with their text.
    fn sources() -> Vec<(std::path::PathBuf, String)> {
        let mut out = Vec::new();
        let mut stack = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let p = entry.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "html" || e == "rs") {
                    let text = std::fs::read_to_string(&p).unwrap();
                    out.push((p, text));
                }
            }
        }
        out
    }

    /// The content security policy allows no inline style: a `style=` attribute in a template
    /// is dropped by the browser (and reported on every load).
    #[test]
    fn templates_carry_no_inline_styles() {
        let found: Vec<String> = sources()
            .into_iter()
            .filter(|(p, text)| p.extension().is_some_and(|e| e == "html") && text.contains(" style=\""))
            .map(|(p, _)| p.display().to_string())
            .collect();
        assert!(found.is_empty(), "inline styles: {found:?}");
    }

    #[test]
    fn catalog_keys_are_unique() {
        assert_eq!(INDEX.len(), CATALOG.len());
    }

    #[test]
    fn every_key_used_by_a_template_or_handler_exists() {
        let mut missing = Vec::new();
        for (p, text) in sources() {
            for part in text.split("t.s(\"").skip(1) {
                let key = part.split('"').next().unwrap();
                if !INDEX.contains_key(key) {
                    missing.push(format!("{}: {key}", p.display()));
                }
            }
        }
        assert!(missing.is_empty(), "missing texts: {missing:?}");
    }

    #[test]
    fn bilingual_domain_messages_are_split() {
        let t = Tr { lang: Lang::En };
        assert_eq!(t.half("校验码错误 / wrong check digit"), "wrong check digit");
        assert_eq!(
            Tr { lang: Lang::Zh }.half("校验码错误 / wrong check digit"),
            "校验码错误"
        );
        assert_eq!(t.half("plain"), "plain");
    }
}
