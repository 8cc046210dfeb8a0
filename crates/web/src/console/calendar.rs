//! 节假日安排 in the console: the years whose holiday schedule is known (shipped with the release
//! or entered here), next year's statutory holidays while its schedule is not announced (dates
//! counted into it are provisional, 暂定), and the form to enter a year. Entering one reaches
//! every service at once and recounts the open cases whose due days it moves.

use crate::AppState;
use crate::context::{CsrfForm, Ctx};
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongban_db::calendar::AddYearError;
use tongban_kernel::calendar::statutory_holidays;
use tongban_kernel::{Permission, WorkCalendar};

/// One year in the table.
struct YearRow {
    year: i16,
    /// 随版本发布 / 管理员录入 / 暂定.
    state: &'static str,
    /// The holidays as `name from–to`, one per entry.
    holidays: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/calendar.html")]
struct CalendarPage {
    c: Chrome,
    rows: Vec<YearRow>,
    /// The year the form is prepared for (the first one not announced).
    next: i16,
    /// The form's text: what was posted, or a template with next year's statutory holidays.
    text: String,
}

/// The first year from today's on whose schedule has not been announced.
pub(crate) fn next_provisional(cal: &WorkCalendar, today: jiff::civil::Date) -> i16 {
    let mut y = today.year();
    while !cal.is_provisional(y) && y < 2099 {
        y += 1;
    }
    y
}

/// Whether the console should warn that next year's schedule is missing: from 1 October on,
/// when the State Council usually announces it.
pub(crate) fn next_year_missing(cal: &WorkCalendar, today: jiff::civil::Date) -> Option<i16> {
    let next = today.year() + 1;
    (today.month() >= 10 && cal.is_provisional(next)).then_some(next)
}

/// The entry form's starting text for `year`: its statutory holidays, no make-up days.
fn template(year: i16) -> String {
    let mut out = format!("[{year}]\nholidays = [\n");
    for h in statutory_holidays(year).unwrap_or_default() {
        out.push_str(&format!(
            "  {{ name = \"{}\", from = \"{}\", to = \"{}\" }},\n",
            h.name, h.from, h.to
        ));
    }
    out.push_str("]\nmakeup_workdays = []\n");
    out
}

async fn page(state: &AppState, ctx: &Ctx, c: Chrome, text: Option<String>) -> Response {
    let cal = state.hall.calendar();
    let shipped = WorkCalendar::bundled().years();
    let t = ctx.t();
    let next = next_provisional(cal, state.hall.today());
    let mut rows: Vec<YearRow> = cal
        .years()
        .into_iter()
        .map(|year| YearRow {
            year,
            state: if shipped.contains(&year) {
                t.s("calendar.shipped")
            } else {
                t.s("calendar.entered")
            },
            holidays: Vec::new(),
        })
        .collect();
    rows.push(YearRow {
        year: next,
        state: t.s("calendar.provisional"),
        holidays: Vec::new(),
    });
    for r in &mut rows {
        r.holidays = cal
            .holidays(r.year)
            .unwrap_or_default()
            .into_iter()
            .map(|h| {
                if h.from == h.to {
                    format!("{} {}", h.name, h.from)
                } else {
                    format!("{} {}–{}", h.name, h.from, h.to)
                }
            })
            .collect();
    }
    rows.reverse();
    render(&CalendarPage {
        c,
        rows,
        next,
        text: text.unwrap_or_else(|| template(next)),
    })
}

fn require(ctx: &Ctx) -> Result<(), PageError> {
    let user = ctx.require_staff()?;
    if user.principal.allows_somewhere(Permission::ManageCalendar) {
        Ok(())
    } else {
        Err(PageError::Forbidden(
            "无权录入节假日安排 / not permitted to enter holiday schedules".into(),
        ))
    }
}

/// What the last entry did, carried to the page it redirects to.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Entered {
    entered: Option<String>,
    checked: usize,
    moved: usize,
}

/// `GET /console/calendar`.
pub(super) async fn show(State(state): State<AppState>, ctx: Ctx, Query(q): Query<Entered>) -> Response {
    if let Err(e) = require(&ctx) {
        return ctx.fail(e);
    }
    let t = ctx.t();
    let mut c = ctx.chrome(t.s("calendar.title"));
    if let Some(years) = q
        .entered
        .filter(|y| y.chars().all(|ch| ch.is_ascii_digit() || ch == ','))
    {
        let years = years.replace(',', t.pick("、", ", "));
        c.notice = Some(
            t.s("calendar.entered_notice")
                .replace("{years}", &years)
                .replace("{checked}", &q.checked.to_string())
                .replace("{moved}", &q.moved.to_string()),
        );
    }
    page(&state, &ctx, c, None).await
}

#[derive(Deserialize)]
pub(super) struct EntryForm {
    calendar: String,
}

/// `POST /console/calendar`: enters (or corrects) a year, then recounts the open cases.
pub(super) async fn enter(
    State(state): State<AppState>,
    ctx: Ctx,
    CsrfForm(form): CsrfForm<EntryForm>,
) -> Response {
    let user = match ctx.require_staff() {
        Ok(u) => u.clone(),
        Err(e) => return ctx.fail(e),
    };
    let refuse = |msg: &str| {
        let mut c = ctx.chrome(ctx.t().s("calendar.title"));
        c.add_error("calendar", msg);
        c
    };
    let years = match tongban_db::calendar::add_years(&state.db, &user.principal, &form.calendar).await {
        Ok(y) => y,
        Err(AddYearError::Invalid(i)) => {
            let mut resp = page(&state, &ctx, refuse(&i.reason), Some(form.calendar)).await;
            *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return resp;
        }
        Err(AddYearError::Forbidden(why)) => return ctx.fail(PageError::Forbidden(why)),
        Err(e) => return ctx.fail(PageError::Internal(e.to_string())),
    };
    // Stored and valid: every service sees the year now, and the cases it moves are recounted.
    if let Err(e) = state.hall.calendar().merge_toml(&form.calendar) {
        return ctx.fail(PageError::Internal(e.to_string()));
    }
    let first = years.iter().copied().min().unwrap_or_default();
    let cases = match state.hall.recount_due_days(&user.principal, first).await {
        Ok(r) => r,
        Err(e) => return ctx.fail(crate::portal::services::hall_page(e)),
    };
    let items = match state.interact.recount_due_days(&user.principal, first).await {
        Ok(r) => r,
        Err(e) => return ctx.fail(crate::errors::interact_page(e)),
    };
    let recount = cases + items;
    let listed: Vec<String> = years.iter().map(i16::to_string).collect();
    Redirect::to(&format!(
        "/console/calendar?entered={}&checked={}&moved={}",
        listed.join(","),
        recount.checked,
        recount.moved
    ))
    .into_response()
}
