//! 节假日安排 in the console: the years whose holiday schedule is known (shipped with the release
//! or entered here), next year's statutory holidays while its schedule is not announced (dates
//! counted into it are provisional, 暂定), and the form to enter a year. Entering one reaches
//! every service at once and recounts the open cases whose due days it moves.

use crate::AppState;
use crate::context::Query;
use crate::context::Staff;
use crate::context::{CsrfForm, Ctx};
use crate::page::PageResult;
use crate::page::{Chrome, PageError, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::collections::HashMap;
use tongban_db::calendar::AddYearError;
use tongban_kernel::{Msg, Permission, WorkCalendar, msg};

/// One year in the table.
struct YearRow {
    year: i16,
    /// 随版本发布 / 管理员录入 / 暂定.
    state: &'static str,
    /// The holidays as `name from–to`, one per entry.
    holidays: Vec<String>,
    /// The make-up workdays (调休上班), `MM-DD` each.
    makeup: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/calendar.html")]
struct CalendarPage {
    c: Chrome,
    rows: Vec<YearRow>,
    /// The first year not announced (warned about in the table).
    next: i16,
    /// The year the form enters.
    year: i16,
    /// The form's rows: what was posted, or the year's holidays as they stand.
    f: YearForm,
}

impl CalendarPage {
    fn holiday_rows(&self) -> std::ops::Range<usize> {
        0..self.f.holidays.len()
    }

    fn makeup_rows(&self) -> std::ops::Range<usize> {
        0..self.f.makeup.len()
    }

    fn h(&self, i: &usize, what: &str) -> &str {
        let h = &self.f.holidays[*i];
        match what {
            "name" => &h.0,
            "from" => &h.1,
            _ => &h.2,
        }
    }

    fn w(&self, i: &usize) -> &str {
        &self.f.makeup[*i]
    }

    fn row_err(&self, prefix: &str, i: &usize) -> bool {
        let start = format!("{prefix}{i}_");
        let whole = format!("{prefix}{i}");
        self.c
            .errors
            .iter()
            .any(|e| e.field.starts_with(&start) || e.field == whole)
    }

    /// Whether `year` may be entered or corrected here (not shipped with the release).
    fn can_enter(&self, year: &i16) -> bool {
        !WorkCalendar::bundled().years().contains(year)
    }
}

/// One year's schedule as the form's rows: holidays (name, first day, last day) and make-up
/// workdays, every value as typed.
#[derive(Default)]
struct YearForm {
    holidays: Vec<(String, String, String)>,
    makeup: Vec<String>,
}

/// Blank rows offered after the filled ones.
const BLANK_HOLIDAYS: usize = 2;
const BLANK_MAKEUP: usize = 3;

impl YearForm {
    /// The year as the calendar has it: its announced ranges, or for a provisional year its
    /// statutory holidays and no make-up days.
    fn of(cal: &WorkCalendar, year: i16) -> YearForm {
        let holidays = cal
            .holidays(year)
            .unwrap_or_default()
            .into_iter()
            .map(|h| (h.name, h.from.to_string(), h.to.to_string()))
            .collect();
        let makeup = cal
            .makeup_workdays(year)
            .into_iter()
            .map(|d| d.to_string())
            .collect();
        let mut f = YearForm { holidays, makeup };
        f.pad(BLANK_HOLIDAYS, BLANK_MAKEUP);
        f
    }

    /// The rows as posted.
    fn posted(posted: &YearPosted) -> YearForm {
        let form = &posted.rows;
        let v = |k: String| form.get(&k).map(|s| s.trim().to_string()).unwrap_or_default();
        let count = |prefix: char| {
            form.keys()
                .filter_map(|k| {
                    let rest = k.strip_prefix(prefix)?;
                    rest.split('_').next()?.parse::<usize>().ok()
                })
                .map(|i| i + 1)
                .max()
                .unwrap_or(0)
                .min(MAX_ROWS)
        };
        YearForm {
            holidays: (0..count('h'))
                .map(|i| {
                    (
                        v(format!("h{i}_name")),
                        v(format!("h{i}_from")),
                        v(format!("h{i}_to")),
                    )
                })
                .collect(),
            makeup: (0..count('w')).map(|i| v(format!("w{i}"))).collect(),
        }
    }

    fn pad(&mut self, holidays: usize, makeup: usize) {
        let h = self.holidays.len() + holidays;
        self.holidays.resize(h.min(MAX_ROWS), Default::default());
        let w = self.makeup.len() + makeup;
        self.makeup.resize(w.min(MAX_ROWS), String::new());
    }

    /// The year as calendar text, or the errors of the rows that cannot be read (field, reason).
    fn to_toml(&self, year: i16) -> Result<String, Vec<(String, Msg)>> {
        let mut errors = Vec::new();
        let mut out = format!("[{year}]\nholidays = [\n");
        let day = |text: &str, field: String, errors: &mut Vec<(String, Msg)>| match text
            .parse::<jiff::civil::Date>()
        {
            Ok(d) if d.year() == year => Some(d),
            Ok(_) => {
                errors.push((field, msg!("day-must-be-in-year", year = year)));
                None
            }
            Err(_) => {
                errors.push((field, msg!("write-day-as-y-m-d")));
                None
            }
        };
        for (i, (name, from, to)) in self.holidays.iter().enumerate() {
            if name.is_empty() && from.is_empty() && to.is_empty() {
                continue;
            }
            if name.is_empty() {
                errors.push((format!("h{i}_name"), msg!("name-the-holiday")));
            } else if name.chars().count() > 20
                || name.chars().any(|c| c.is_control() || c == '"' || c == '\\')
            {
                errors.push((format!("h{i}_name"), msg!("holiday-name-up-to-20")));
            }
            let first = day(from, format!("h{i}_from"), &mut errors);
            let last = if to.is_empty() {
                first
            } else {
                day(to, format!("h{i}_to"), &mut errors)
            };
            if let (Some(a), Some(b)) = (first, last) {
                if b < a {
                    errors.push((format!("h{i}_to"), msg!("last-day-before-first")));
                } else {
                    out.push_str(&format!(
                        "  {{ name = \"{name}\", from = \"{a}\", to = \"{b}\" }},\n"
                    ));
                }
            }
        }
        out.push_str("]\nmakeup_workdays = [");
        let mut days = Vec::new();
        for (i, text) in self.makeup.iter().enumerate() {
            if text.is_empty() {
                continue;
            }
            if let Some(d) = day(text, format!("w{i}"), &mut errors) {
                days.push(format!("\"{d}\""));
            }
        }
        out.push_str(&days.join(", "));
        out.push_str("]\n");
        if errors.is_empty() { Ok(out) } else { Err(errors) }
    }
}

/// Most rows of either kind a form may carry.
const MAX_ROWS: usize = 60;

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

async fn page(state: &AppState, ctx: &Ctx, c: Chrome, year: Option<i16>, f: Option<YearForm>) -> Response {
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
            makeup: Vec::new(),
        })
        .collect();
    rows.push(YearRow {
        year: next,
        state: t.s("calendar.provisional"),
        holidays: Vec::new(),
        makeup: Vec::new(),
    });
    for r in &mut rows {
        r.holidays = cal
            .holidays(r.year)
            .unwrap_or_default()
            .into_iter()
            .map(|h| {
                // The last day without its year: 春节 2027-02-05–02-08.
                if h.from == h.to {
                    format!("{} {}", h.name, h.from)
                } else {
                    format!("{} {}–{}", h.name, h.from, h.to.strftime("%m-%d"))
                }
            })
            .collect();
        r.makeup = cal
            .makeup_workdays(r.year)
            .into_iter()
            .map(|d| d.strftime("%m-%d").to_string())
            .collect();
    }
    rows.reverse();
    // A year shipped with the release cannot be entered; any other from last year on can.
    let year = year
        .filter(|y| (state.hall.today().year() - 1..=2099).contains(y) && !shipped.contains(y))
        .unwrap_or(next);
    let f = f.unwrap_or_else(|| YearForm::of(cal, year));
    let failed = !c.errors.is_empty();
    let mut resp = render(&CalendarPage {
        c,
        rows,
        next,
        year,
        f,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    resp
}

fn require(ctx: &Ctx) -> Result<(), PageError> {
    let user = ctx.require_staff()?;
    if user.principal.allows_somewhere(Permission::ManageCalendar) {
        Ok(())
    } else {
        Err(PageError::Forbidden(msg!("not-permitted-holiday-schedules")))
    }
}

/// What the last entry did, carried to the page it redirects to.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Entered {
    /// The year the form enters (next year's by default).
    year: Option<i16>,
    entered: Option<String>,
    checked: usize,
    moved: usize,
}

/// `GET /console/calendar`.
pub(super) async fn show(State(state): State<AppState>, ctx: Ctx, Query(q): Query<Entered>) -> PageResult {
    require(&ctx)?;
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
    Ok(page(&state, &ctx, c, q.year, None).await)
}

/// The year form as posted: the year, the button (`go` = `save` or `more`), and the numbered
/// rows (`h{i}_name`, `h{i}_from`, `h{i}_to`, `w{i}`), as many as the page offered.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct YearPosted {
    year: String,
    go: String,
    #[serde(flatten)]
    rows: HashMap<String, String>,
}

/// `POST /console/calendar`: enters (or corrects) a year from the form's rows, then recounts
/// the open cases.
pub(super) async fn enter(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(user): Staff,
    CsrfForm(form): CsrfForm<YearPosted>,
) -> PageResult {
    let t = ctx.t();
    let mut f = YearForm::posted(&form);
    let year = form.year.trim().parse::<i16>().ok();
    if form.go == "more" {
        f.pad(BLANK_HOLIDAYS, BLANK_MAKEUP);
        return Ok(page(&state, &ctx, ctx.chrome(t.s("calendar.title")), year, Some(f)).await);
    }
    let mut c = ctx.chrome(t.s("calendar.title"));
    let Some(year) = year else {
        c.add_error("year", msg!("choose-the-year"));
        return Ok(page(&state, &ctx, c, None, Some(f)).await);
    };
    let text = match f.to_toml(year) {
        Ok(text) => text,
        Err(errors) => {
            for (field, reason) in errors {
                c.add_error(&field, reason);
            }
            return Ok(page(&state, &ctx, c, Some(year), Some(f)).await);
        }
    };
    let years = match tongban_db::calendar::add_years(&state.db, &user.principal, &text).await {
        Ok(y) => y,
        Err(AddYearError::Invalid(i)) => {
            c.add_error("year", &i.reason);
            return Ok(page(&state, &ctx, c, Some(year), Some(f)).await);
        }
        Err(AddYearError::Forbidden(why)) => return Err(PageError::Forbidden(why)),
        Err(e) => return Err(PageError::Internal(e.to_string())),
    };
    // Stored and valid: every service sees the year now, and the cases it moves are recounted.
    state
        .hall
        .calendar()
        .merge_toml(&text)
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let first = years.iter().copied().min().unwrap_or_default();
    let cases = state.hall.recount_due_days(&user.principal, first).await?;
    let items = state.interact.recount_due_days(&user.principal, first).await?;
    let recount = cases + items;
    let listed: Vec<String> = years.iter().map(i16::to_string).collect();
    Ok(Redirect::to(&format!(
        "/console/calendar?entered={}&checked={}&moved={}",
        listed.join(","),
        recount.checked,
        recount.moved
    ))
    .into_response())
}
