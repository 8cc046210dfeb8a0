//! The maintained word lists the reply checks read: empty formulas, words standing for an
//! unnamed department, words no official should write, and the markers of a department name, a
//! next step, a contact or a time. Administrators extend the first and the third at run time
//! ([`ReplyChecker`](super::ReplyChecker)); the rest change with the code that reads them.

/// Empty formulas that promise nothing (the maintained default list).
pub const VAGUE_PHRASES: &[&str] = &[
    "正在研究",
    "研究研究",
    "进一步研究",
    "研究后再定",
    "统筹考虑",
    "择机处理",
    "适时处理",
    "视情况处理",
    "视情况而定",
    "按有关规定办理",
    "按照有关规定办理",
    "按相关规定办理",
    "按照相关规定办理",
    "按有关规定处理",
    "按照有关规定处理",
    "按相关规定处理",
    "按照相关规定处理",
    "依据相关规定处理",
    "已转有关部门",
    "已转相关部门",
    "已交有关部门",
    "积极协调",
    "逐步解决",
    "另行通知",
    "等待通知",
];

/// Words standing for a department without naming one.
pub const UNNAMED_DEPARTMENT_PHRASES: &[&str] = &["有关部门", "相关部门", "有关单位", "相关单位", "职能部门"];

/// Words no official should write to a citizen (the maintained default list).
pub const SENSITIVE_WORDS: &[&str] = &[
    "刁民",
    "无理取闹",
    "活该",
    "爱找谁找谁",
    "关你什么事",
    "关你屁事",
    "别烦",
    "烦不烦",
    "滚蛋",
    "滚开",
    "傻逼",
    "混蛋",
    "王八蛋",
    "蠢货",
    "白痴",
    "他妈的",
    "狗东西",
    "畜生",
    "贱人",
    "神经病",
    "脑子有病",
    "无可奉告",
    "你自己看着办",
    "不归我们管",
    "与我们无关",
    "找谁都没用",
    "多管闲事",
];

/// Endings of department names (`公安局`, `卫健委`, `街道办事处`…): a reply naming one is not
/// hiding behind `有关部门`.
pub(crate) const DEPARTMENT_SUFFIXES: &[&str] = &[
    "委员会",
    "管委会",
    "居委会",
    "村委会",
    "办公室",
    "办事处",
    "派出所",
    "管理处",
    "管理所",
    "服务站",
    "服务中心",
    "中心",
    "政府",
    "医院",
    "大队",
    "中队",
    "社区",
    "街道",
    "公司",
    "局",
    "委",
    "厅",
];

/// Words that end in a department suffix but name no department.
pub(crate) const NOT_DEPARTMENTS: &[&str] = &[
    "格局",
    "布局",
    "结局",
    "大局",
    "全局",
    "当局",
    "委屈",
    "委托",
    "委婉",
    "以人民为中心",
    "市中心",
    "重中心",
];

/// Marks of a concrete next step: a promised action, a thing to bring, a place to go.
pub(crate) const NEXT_STEP_MARKERS: &[&str] = &[
    "已安排",
    "已派",
    "已完成",
    "已修复",
    "已维修",
    "已整改",
    "已办结",
    "已更换",
    "已清理",
    "已清除",
    "已恢复",
    "已拆除",
    "已处罚",
    "已立案",
    "已责令",
    "将于",
    "已于",
    "请携带",
    "请于",
    "请前往",
    "请登录",
    "请拨打",
    "请致电",
    "请联系",
    "可前往",
    "可登录",
    "可拨打",
    "可致电",
    "可通过",
    "需携带",
    "需提交",
    "需要携带",
    "需要提交",
    "下一步",
    "办理流程",
    "办理步骤",
];

/// Marks of a way to reach someone.
pub(crate) const CONTACT_MARKERS: &[&str] = &[
    "电话",
    "热线",
    "邮箱",
    "@",
    "http",
    "网址",
    "网站",
    "地址",
    "窗口",
    "大厅",
    "咨询台",
    "公众号",
    "小程序",
];

/// Units after a number that make it a date or a time limit.
pub(crate) const TIME_UNITS: &[&str] = &[
    "个工作日",
    "工作日",
    "个月",
    "小时",
    "日内",
    "天内",
    "周内",
    "年",
    "月",
    "日",
    "号",
    "天",
    "周",
];

/// Words that stand for a time without digits.
pub(crate) const TIME_WORDS: &[&str] = &[
    "今天",
    "明天",
    "后天",
    "本周",
    "下周",
    "本月底",
    "月底前",
    "年底前",
    "月内",
    "本月内",
    "当日",
    "当天",
];

/// Characters that make a bigram a function-word pair rather than a key term.
pub(crate) const STOP_CHARS: &str = "的了是在我你您他她它们这那有和与及或就都也还请问吗呢吧啊么什怎如何为对把被给从到向于之其个一不没很又再已将能会要可以得着过地但而并且所因此果等该些哪谁啥呀哦嗯";

/// Bigrams too general to show that a reply addresses the question.
pub(crate) const GENERIC_TERMS: &[&str] = &[
    "反映", "希望", "能否", "是否", "谢谢", "政府", "部门", "相关", "有关", "处理", "解决", "情况", "问题",
    "现在", "目前", "时候", "已经", "非常", "感谢", "关注", "您好", "你好", "领导", "工作", "尽快", "帮忙",
    "麻烦",
];
