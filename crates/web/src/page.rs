//! What every HTML page shares: the chrome (language, signed-in user, CSRF token, notices,
//! errors) and the friendly error page.

use crate::i18n::{Lang, Tr};
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use tongban_kernel::Msg;

/// A signed-in user as the page header shows them.
#[derive(Debug, Clone)]
pub struct ChromeUser {
    /// Name to show.
    pub display_name: String,
    /// A demo account (marked in the UI).
    pub is_demo: bool,
    /// Holds a staff role (opens the console).
    pub is_staff: bool,
    /// May see the department tree.
    pub can_departments: bool,
    /// May see users.
    pub can_users: bool,
    /// May see the ledger.
    pub can_ledger: bool,
    /// May see the data catalog and sharing.
    pub can_catalog: bool,
    /// May query the data pool.
    pub can_query: bool,
    /// May see seals and the licences issued (issue, revoke or manage seals somewhere).
    pub can_seals: bool,
    /// May supervise cases (overdue cases, 差评 rectifications).
    pub can_supervise: bool,
    /// May publish consultations and surveys.
    pub can_participation: bool,
    /// May manage service items and their workflows.
    pub can_items: bool,
    /// May enter holiday schedules.
    pub can_calendar: bool,
    /// May keep the destination allow-list (出站地址白名单).
    pub can_egress: bool,
    /// May register department systems (接入系统).
    pub can_clients: bool,
    /// Decides administrator-role requests (角色审批).
    pub can_approve: bool,
    /// Works cases (inbox and case messages).
    pub can_cases: bool,
    /// Handles 12345 items.
    pub can_interact: bool,
}

/// One form error, linked from the error summary to its field.
#[derive(Debug, Clone)]
pub struct FieldError {
    /// The field's id.
    pub field: String,
    /// Text in the page language.
    pub message: String,
}

/// The shared part of every page.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Texts in the page language.
    pub t: Tr,
    /// Page title.
    pub title: String,
    /// Link that switches language and comes back here.
    pub switch_href: String,
    /// Who is signed in.
    pub user: Option<ChromeUser>,
    /// Token every form posts back.
    pub csrf: String,
    /// Show the demo banner.
    pub demo: bool,
    /// 关怀模式 is on.
    pub care: bool,
    /// Link that switches 关怀模式 and comes back here.
    pub care_href: String,
    /// A one-off notice ("Saved.").
    pub notice: Option<String>,
    /// Form errors.
    pub errors: Vec<FieldError>,
    /// Narrow reading column (forms).
    pub narrow: bool,
    /// The page is in the console (errors keep the console's look and menu).
    pub in_console: bool,
    /// What the refused form held, by field name: a page shown again with its errors keeps
    /// what was typed and chosen.
    pub typed: std::collections::HashMap<String, String>,
}

impl Chrome {
    /// The error message for `field`, if any.
    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    /// Adds an error for `field` from a domain message, in the page's language.
    /// An English message starts with a capital letter, as a sentence does.
    pub fn add_error(&mut self, field: &str, message: impl Into<Msg>) {
        let mut message = message.into().render(self.t.lang);
        capitalize(self.t, &mut message);
        self.errors.push(FieldError {
            field: field.to_string(),
            message,
        });
    }

    /// Keeps what a refused form held (a form struct, by its field names), so the page shown again
    /// with its errors shows it too.
    pub fn keep(&mut self, form: &impl serde::Serialize) {
        self.typed = serde_urlencoded::to_string(form)
            .ok()
            .and_then(|q| serde_urlencoded::from_str(&q).ok())
            .unwrap_or_default();
    }

    /// What was typed in `field` of the refused form (empty on a fresh page).
    pub fn typed(&self, field: &str) -> &str {
        self.typed.get(field).map_or("", String::as_str)
    }

    /// The page language.
    pub fn lang(&self) -> Lang {
        self.t.lang
    }
}

/// On an English page, `text` starting with a capital letter, as a sentence does.
fn capitalize(t: Tr, text: &mut String) {
    if t.is_en()
        && let Some(first) = text.chars().next()
        && first.is_ascii_lowercase()
    {
        text.replace_range(..1, &first.to_ascii_uppercase().to_string());
    }
}

/// A domain's reason as a sentence of the page: capitalised in English, ended with a full stop
/// (`.` or `。`) unless it already ends with a mark of its own.
fn sentence(t: Tr, reason: &str) -> String {
    let mut text = reason.trim().to_string();
    capitalize(t, &mut text);
    let ended = text
        .chars()
        .last()
        .is_none_or(|c| matches!(c, '.' | '!' | '?' | '。' | '！' | '？' | '）' | ')'));
    if !ended {
        text.push_str(if t.is_en() { "." } else { "。" });
    }
    text
}

/// Where a paged list stands, for the shared pager (`layout/pager.html`).
#[derive(Debug, Clone)]
pub struct Pager {
    /// This page, from 1.
    pub page: u64,
    /// How many pages there are (at least 1).
    pub pages: u64,
    /// The previous page's link, if there is one.
    pub prev: Option<String>,
    /// The next page's link, if there is one.
    pub next: Option<String>,
}

impl Pager {
    /// The pager of `page` over `total` rows; `href(n)` links page `n`.
    pub fn new(page: tongban_kernel::Page, total: u64, href: impl Fn(u64) -> String) -> Self {
        let per = u64::from(page.limit.max(1));
        let pages = total.div_ceil(per).max(1);
        let current = page.current().min(pages);
        Self {
            page: current,
            pages,
            prev: (current > 1).then(|| href(current - 1)),
            next: (current < pages).then(|| href(current + 1)),
        }
    }
}

/// Renders a template into a response (a template that fails to render is a bug: logged, 500).
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// A renders-anywhere page error.
#[derive(Template)]
#[template(path = "layout/error_page.html")]
pub struct ErrorPage {
    /// Chrome.
    pub c: Chrome,
    /// What to tell the person.
    pub message: String,
}

/// A page error inside the console, in the console's look and with its menu.
#[derive(Template)]
#[template(path = "layout/console_error_page.html")]
pub struct ConsoleErrorPage {
    /// Chrome.
    pub c: Chrome,
    /// What to tell the person.
    pub message: String,
}

/// What a page handler returns: the page, or a [`PageError`] that `?` carries out of it.
pub type PageResult = Result<Response, PageError>;

/// A form page shown again with what was refused: 422, so a client (and a test) can tell a
/// refusal from a page that worked.
pub fn refused(page: PageResult) -> PageResult {
    page.map(|mut resp| {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        resp
    })
}

/// A page-level failure, rendered as a friendly page with the right status. A handler returns it
/// with `?`; [`crate::context::resolve`] renders it in the request's language and look, since only
/// the request knows who is signed in and where they are.
#[derive(Debug, Clone)]
pub enum PageError {
    /// 404.
    NotFound,
    /// 403 with the domain's reason.
    Forbidden(Msg),
    /// 403 for a form without a valid CSRF token.
    Csrf,
    /// 400: bad input outside a form (a query string), with the reason.
    BadRequest(Msg),
    /// 413: a file larger than the form accepts, with what to do instead.
    TooLarge(Msg),
    /// 500: logged, not shown.
    Internal(String),
    /// Go elsewhere first (e.g. the second-factor step).
    Redirect(String),
    /// Not signed in: go to the login page, coming back to `next`.
    Login {
        /// Where to return after signing in.
        next: String,
    },
}

/// One entry of a timeline as every page shows it (`layout/timeline.html`): what happened,
/// when, by whom or about what, the note as written, and whether only staff see it.
pub(crate) struct TimelineEntry {
    /// When, in the deployment's zone.
    pub(crate) at: String,
    /// What happened, in the page's language.
    pub(crate) what: String,
    /// Who did it, or the case it concerns on a bundle's timeline; empty when not shown.
    pub(crate) who: String,
    /// The note, its lines kept.
    pub(crate) note: String,
    /// Seen by staff only (内部).
    pub(crate) internal: bool,
}

impl TimelineEntry {
    /// An entry anyone the page is for may see.
    pub(crate) fn new(at: String, what: String, note: String) -> Self {
        TimelineEntry {
            at,
            what,
            who: String::new(),
            note,
            internal: false,
        }
    }

    /// Said to be by, or about, `who`.
    pub(crate) fn by(self, who: String) -> Self {
        TimelineEntry { who, ..self }
    }
}

/// A page error on its way out of a handler, waiting for [`crate::context::resolve`] to render
/// it with the request's chrome.
#[derive(Clone)]
pub(crate) struct Unrendered(pub(crate) PageError);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut resp = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        resp.extensions_mut().insert(Unrendered(self));
        resp
    }
}

impl PageError {
    /// The response, with the page in the chrome's language.
    pub fn render(self, mut c: Chrome) -> Response {
        let (status, key) = match &self {
            PageError::NotFound => (StatusCode::NOT_FOUND, "error.not_found"),
            PageError::Forbidden(_) => (StatusCode::FORBIDDEN, "error.forbidden"),
            PageError::Csrf => (StatusCode::FORBIDDEN, "error.csrf"),
            PageError::BadRequest(_) => (StatusCode::BAD_REQUEST, "error.bad_request"),
            PageError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "error.too_large"),
            PageError::Internal(detail) => {
                tracing::error!(%detail, "page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "error.server")
            }
            PageError::Redirect(to) => return axum::response::Redirect::to(to).into_response(),
            PageError::Login { next } => {
                let to = format!("/login?next={}", urlencode(next));
                return axum::response::Redirect::to(&to).into_response();
            }
        };
        let mut message = c.t.s(key).to_string();
        if let PageError::Forbidden(why) | PageError::BadRequest(why) | PageError::TooLarge(why) = &self {
            // The kernel's plain "not permitted" repeats the sentence above; a specific reason
            // (another department's case, a locked account) is added to it.
            if !why
                .to_string()
                .starts_with(tongban_kernel::principal::NOT_PERMITTED)
            {
                let reason = sentence(c.t, &c.t.msg(why));
                let space = if c.t.is_en() { " " } else { "" };
                message = format!("{message}{space}{reason}");
            }
        }
        c.title =
            c.t.s(if matches!(self, PageError::Forbidden(_)) {
                "error.forbidden_title"
            } else {
                "error.title"
            })
            .to_string();
        let staff = c.user.as_ref().is_some_and(|u| u.is_staff);
        let mut resp = if c.in_console && staff {
            render(&ConsoleErrorPage { c, message })
        } else {
            render(&ErrorPage { c, message })
        };
        *resp.status_mut() = status;
        resp
    }
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|q| q.trim_start_matches('=').to_string())
        .unwrap_or_default()
}

/// A local path safe to redirect to (no open redirects): starts with one `/`, and holds no
/// control character or whitespace — browsers drop a tab or newline from a URL, so `/\t/host`
/// would become `//host`, and a CR/LF cannot go into a Location header.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.contains("://")
                && !n.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// A stored file sent as a download (never shown inline, never cached), named `file_name`.
pub(crate) fn download(media_type: &str, file_name: &str, body: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"file\"; filename*=UTF-8''{}",
        urlencode(file_name)
    );
    (
        [
            (header::CONTENT_TYPE, media_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// A workflow step's name in the page's language: its own name is Chinese data, so English
/// pages (and a step without one) name its kind.
pub(crate) fn step_name(t: Tr, s: &tongban_hall::Step) -> String {
    if s.name.is_empty() || t.is_en() {
        t.pick(s.kind.name_zh(), s.kind.name_en()).to_string()
    } else {
        s.name.clone()
    }
}

/// Departments as citizens know them: with their city (`示范市公安局`), in the page's language;
/// the name recorded in Chinese where the directory has none.
pub(crate) struct DeptNames {
    t: Tr,
    official: std::collections::HashMap<String, (String, String)>,
    /// On English pages: each Chinese name a department is written with (with its city or
    /// without), longest first, and its English name.
    english: Vec<(String, String)>,
}

impl DeptNames {
    /// Every department's official names, for a page in `t`'s language.
    pub(crate) async fn load(state: &crate::AppState, t: Tr) -> Result<DeptNames, tongban_identity::Error> {
        let official = state.identity.official_names().await?;
        let mut english = Vec::new();
        if t.is_en() {
            let short = state.identity.department_names().await?;
            for (path, zh, _) in short {
                if let Some((full_zh, full_en)) = official.get(path.as_str()) {
                    english.push((full_zh.clone(), full_en.clone()));
                    if !zh.is_empty() && zh != *full_zh {
                        english.push((zh, full_en.clone()));
                    }
                }
            }
            english.sort_by_key(|(zh, _)| std::cmp::Reverse(zh.chars().count()));
        }
        Ok(DeptNames { t, official, english })
    }

    /// Text the platform composed with departments named in Chinese (a message, a timeline
    /// note), with each of them named in English on an English page.
    pub(crate) fn in_text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (zh, en) in &self.english {
            if out.contains(zh.as_str()) {
                out = out.replace(zh.as_str(), en);
            }
        }
        out
    }

    /// The name of the department at `path`, recorded in Chinese as `zh`.
    pub(crate) fn of(&self, path: &str, zh: &str) -> String {
        self.official
            .get(path)
            .map_or_else(|| zh.to_string(), |(zh, en)| self.t.pick(zh, en).to_string())
    }
}

/// Service names in the page's language for records that carry the Chinese name they were made
/// under (cases, tasks): English pages look the English name up by the item's code; a name with
/// none is shown in Chinese, marked as Chinese.
pub(crate) struct ItemNames {
    t: Tr,
    english: std::collections::HashMap<String, String>,
    /// Each item's type, which decides how a refusal is named (不予许可 or 不予办理).
    types: std::collections::HashMap<String, tongban_hall::ItemType>,
}

impl ItemNames {
    /// The names for a page in `t`'s language (read only for English pages).
    pub(crate) async fn load(state: &crate::AppState, t: Tr) -> Result<ItemNames, tongban_hall::Error> {
        let items = state.hall.items(None, true).await?;
        let types = items.iter().map(|i| (i.code.clone(), i.item_type)).collect();
        let english = if t.is_en() {
            items.into_iter().map(|i| (i.code, i.name_en)).collect()
        } else {
            std::collections::HashMap::new()
        };
        Ok(ItemNames { t, english, types })
    }

    /// Whether the item `code` is an administrative licence (unknown items are not).
    pub(crate) fn licensing(&self, code: &str) -> bool {
        self.types.get(code) == Some(&tongban_hall::ItemType::Licensing)
    }

    /// A case status of an item `code` in the page language, refusals named by the item's type.
    pub(crate) fn status(&self, code: &str, status: tongban_hall::CaseStatus) -> String {
        let item_type = self
            .types
            .get(code)
            .copied()
            .unwrap_or(tongban_hall::ItemType::Other);
        let (zh, en) = status.names_for(item_type);
        self.t.pick(zh, en).to_string()
    }

    /// A decision on a case of item `code` in the page language (准予许可 or 准予办理 …).
    pub(crate) fn outcome(&self, code: &str, outcome: tongban_hall::Outcome) -> String {
        let item_type = self
            .types
            .get(code)
            .copied()
            .unwrap_or(tongban_hall::ItemType::Other);
        let (zh, en) = outcome.names_for(item_type);
        self.t.pick(zh, en).to_string()
    }

    /// The name of the item `code`, recorded in Chinese as `zh`.
    pub(crate) fn of(&self, code: &str, zh: &str) -> crate::markup::Named {
        self.t.name(zh, self.english.get(code).map_or("", String::as_str))
    }

    /// The same name as plain text (for a line the template escapes whole).
    pub(crate) fn text_of(&self, code: &str, zh: &str) -> String {
        self.english
            .get(code)
            .filter(|en| !en.is_empty())
            .map_or_else(|| zh.to_string(), String::clone)
    }
}

#[cfg(test)]
mod tests {
    use crate::i18n::{Lang, Tr};

    #[test]
    fn a_step_is_named_by_its_own_chinese_name_or_on_english_pages_by_its_kind() {
        let step = |name: &str| tongban_hall::Step {
            kind: tongban_hall::StepKind::Accept,
            name: name.into(),
            assignees: Vec::new(),
            mode: tongban_hall::SignMode::All,
            limit_days: None,
        };
        let (zh, en) = (Tr { lang: Lang::Zh }, Tr { lang: Lang::En });
        assert_eq!(super::step_name(zh, &step("窗口受理")), "窗口受理");
        assert_eq!(
            super::step_name(zh, &step("")),
            tongban_hall::StepKind::Accept.name_zh()
        );
        assert_eq!(
            super::step_name(en, &step("窗口受理")),
            tongban_hall::StepKind::Accept.name_en()
        );
    }

    #[test]
    fn a_reason_joins_the_error_page_as_a_sentence_of_its_own() {
        let (zh, en) = (Tr { lang: Lang::Zh }, Tr { lang: Lang::En });
        assert_eq!(super::sentence(en, "staff role required"), "Staff role required.");
        assert_eq!(super::sentence(zh, "需要工作人员角色"), "需要工作人员角色。");
        assert_eq!(super::sentence(zh, "已停用。"), "已停用。");
        assert_eq!(
            super::sentence(en, "Paused (until 10:00)"),
            "Paused (until 10:00)"
        );
    }

    #[test]
    fn redirects_stay_on_site() {
        assert_eq!(super::safe_next(Some("/account")), "/account");
        assert_eq!(super::safe_next(Some("//evil.example/")), "/");
        assert_eq!(super::safe_next(Some("https://evil.example/")), "/");
        assert_eq!(super::safe_next(Some("/\\evil")), "/");
        // A tab or newline that a browser would drop, a CR/LF that would split the header.
        for sneaky in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/a\r\nSet-Cookie: x=1",
            "/ /evil",
            "/\u{85}x",
        ] {
            assert_eq!(super::safe_next(Some(sneaky)), "/", "{sneaky:?}");
        }
        assert_eq!(
            super::safe_next(Some("/services?q=%E6%88%B7")),
            "/services?q=%E6%88%B7"
        );
        assert_eq!(super::safe_next(None), "/");
        assert_eq!(super::urlencode("/a b?x=1"), "%2Fa+b%3Fx%3D1");
    }
}
