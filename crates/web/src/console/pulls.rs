//! 定时抽取 in the console: the providing department's catalog managers see a resource's pulls
//! from their own databases (source shown without its password, interval, next and last run),
//! add one (the database and table are tried at once), run one now and stop one.

use crate::AppState;
use crate::context::Staff;
use crate::context::{CsrfForm, Ctx};
use crate::errors::{FormOutcome, pool_form, pool_page};
use crate::page::PageResult;
use crate::page::{Chrome, render};
use crate::portal::NoFields;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;
use tongban_kernel::msg;
use tongban_pool::{NewPull, PullSource};

#[derive(Template)]
#[template(path = "console/pulls.html")]
struct PullsPage {
    c: Chrome,
    code: String,
    name: String,
    /// (pull, next run, last run).
    pulls: Vec<(PullSource, String, String)>,
    /// The form to add one: what was posted, or the defaults.
    form: PullForm,
}

/// A pull to add: `url` (the database, perhaps with a password), `table`, `every` (minutes).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct PullForm {
    url: String,
    table: String,
    every: String,
}

async fn page(state: &AppState, ctx: &Ctx, code: &str, c: Option<Chrome>, form: PullForm) -> PageResult {
    let me = ctx.require_staff()?.clone();
    let r = (super::upload::provider_resource(
        state,
        &me.principal,
        code,
        msg!("only-provider-configures-pulls"),
    )
    .await)?;
    let zone = &state.settings.zone;
    let pulls = match state.pool.pulls(&me.principal).await {
        Ok(list) => list
            .into_iter()
            .filter(|p| p.resource_code == r.code)
            .map(|p| {
                let next = p.next_run.display_in(zone);
                let last = p.last_run.map(|m| m.display_in(zone)).unwrap_or_default();
                (p, next, last)
            })
            .collect(),
        Err(e) => return Err(pool_page(e)),
    };
    let t = ctx.t();
    let failed = c.as_ref().is_some_and(|c| !c.errors.is_empty());
    let mut resp = render(&PullsPage {
        c: c.unwrap_or_else(|| ctx.chrome(t.s("pulls.title"))),
        code: r.code.clone(),
        name: t.pick(&r.name_zh, &r.name_en).to_string(),
        pulls,
        form,
    });
    if failed {
        *resp.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// `GET /console/catalog/{code}/pulls`.
pub(super) async fn show(State(state): State<AppState>, ctx: Ctx, Path(code): Path<String>) -> PageResult {
    let form = PullForm {
        every: "1440".into(),
        ..PullForm::default()
    };
    page(&state, &ctx, &code, None, form).await
}

/// `POST /console/catalog/{code}/pulls`: `url`, `table`, `every` (minutes).
pub(super) async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    Staff(me): Staff,
    Path(code): Path<String>,
    CsrfForm(form): CsrfForm<PullForm>,
) -> PageResult {
    let mut c = ctx.chrome(ctx.t().s("pulls.title"));
    let Ok(every) = form.every.trim().parse::<u32>() else {
        c.add_error("every", msg!("interval-in-minutes"));
        return page(&state, &ctx, &code, Some(c), without_url(form)).await;
    };
    let new = NewPull {
        resource_code: code.clone(),
        url: form.url.clone(),
        table: form.table.clone(),
        every_minutes: every,
    };
    match state.pool.add_pull(&me.principal, new).await {
        Ok(_) => Ok(Redirect::to(&format!("/console/catalog/{code}/pulls")).into_response()),
        Err(e) => match pool_form(e, "url") {
            FormOutcome::Field(field, msg) => {
                let field = if field == "every_minutes" {
                    "every".to_string()
                } else {
                    field
                };
                c.add_error(&field, &msg);
                page(&state, &ctx, &code, Some(c), without_url(form)).await
            }
            FormOutcome::Page(p) => Err(p),
        },
    }
}

/// The form to show again: never the URL (it may hold a password).
fn without_url(form: PullForm) -> PullForm {
    PullForm {
        url: String::new(),
        ..form
    }
}

/// `POST /console/catalog/{code}/pulls/{id}/run`: runs it now.
pub(super) async fn run(
    State(state): State<AppState>,
    Staff(me): Staff,
    Path((code, id)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    match state.pool.run_pull(&me.principal, &id).await {
        // The outcome, good or bad, is on the pull's row.
        Ok(_) | Err(tongban_pool::Error::Remote { .. } | tongban_pool::Error::Invalid(_)) => {
            Ok(Redirect::to(&format!("/console/catalog/{code}/pulls")).into_response())
        }
        Err(e) => Err(pool_page(e)),
    }
}

/// `POST /console/catalog/{code}/pulls/{id}/remove`.
pub(super) async fn remove(
    State(state): State<AppState>,
    Staff(me): Staff,
    Path((code, id)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> PageResult {
    match state.pool.remove_pull(&me.principal, &id).await {
        Ok(()) => Ok(Redirect::to(&format!("/console/catalog/{code}/pulls")).into_response()),
        Err(e) => Err(pool_page(e)),
    }
}
