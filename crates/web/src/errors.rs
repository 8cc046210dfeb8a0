//! Domain errors mapped to HTTP: each crate's `Error` becomes a problem (API) or a page error /
//! form error (pages). Storage failures are logged and shown as a plain 500 with no detail.

use crate::page::PageError;
use crate::problem::Problem;
use axum::http::StatusCode;
use tongban_identity::Error as IdError;

/// Whole seconds from now until `until`, at least one (for `Retry-After`).
pub fn seconds_until(until: tongban_kernel::Millis) -> u64 {
    u64::try_from((until.0 - tongban_kernel::Millis::now().0).div_euclid(1000) + 1).unwrap_or(1)
}

/// An identity error as an API problem.
pub fn identity_problem(e: IdError) -> Problem {
    match e {
        IdError::NotFound { .. } => Problem::not_found(),
        IdError::Forbidden { why } => Problem::forbidden(&why),
        IdError::Invalid(inv) => Problem::invalid(&inv.field, &inv.reason),
        IdError::Conflict { field, reason } => {
            let mut p = Problem::new(StatusCode::CONFLICT, "conflict", format!("{field}: {reason}"));
            p.field = Some(field);
            p
        }
        IdError::BadCredentials => Problem::new(
            StatusCode::UNAUTHORIZED,
            "bad-credentials",
            IdError::BadCredentials.to_string(),
        ),
        e @ IdError::Locked { .. } => Problem::new(StatusCode::LOCKED, "locked", e.to_string()),
        e @ IdError::TooMany { retry_after_s } => {
            let mut p = Problem::new(StatusCode::TOO_MANY_REQUESTS, "too-many", e.to_string());
            p.retry_after = Some(retry_after_s);
            p
        }
        e @ IdError::SourceBlocked { until } => {
            let mut p = Problem::new(StatusCode::TOO_MANY_REQUESTS, "too-many", e.to_string());
            p.retry_after = Some(seconds_until(until));
            p
        }
        e @ IdError::Disabled => Problem::new(StatusCode::FORBIDDEN, "disabled", e.to_string()),
        e @ (IdError::MfaRequired | IdError::Unauthenticated) => {
            Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string())
        }
        IdError::BadCode => {
            let mut p = Problem::invalid("code", IdError::BadCode.to_string());
            p.kind = "/problems/bad-code".into();
            p
        }
        e @ (IdError::Crypto(_) | IdError::Storage(_)) => {
            tracing::error!(error = %e, "identity call failed");
            Problem::internal()
        }
    }
}

/// What a page does with an identity error: show it next to a form field, or fail the page.
pub enum FormOutcome {
    /// Show `message` at `field`.
    Field(String, tongban_kernel::Msg),
    /// Fail the page.
    Page(PageError),
}

/// An identity error for a form whose fallback field is `default_field`.
pub fn identity_form(e: IdError, default_field: &str) -> FormOutcome {
    match e {
        IdError::Invalid(inv) => FormOutcome::Field(inv.field, inv.reason),
        IdError::Conflict { field, reason } => FormOutcome::Field(field, reason),
        e @ (IdError::BadCredentials
        | IdError::Locked { .. }
        | IdError::Disabled
        | IdError::TooMany { .. }
        | IdError::SourceBlocked { .. }) => FormOutcome::Field(default_field.into(), e.message()),
        IdError::BadCode => FormOutcome::Field("code".into(), IdError::BadCode.message()),
        IdError::NotFound { .. } => FormOutcome::Page(PageError::NotFound),
        IdError::Forbidden { why } => FormOutcome::Page(PageError::Forbidden(why)),
        e @ (IdError::MfaRequired | IdError::Unauthenticated) => FormOutcome::Page(PageError::Login {
            next: format!("/?{}", crate::page::urlencode(&e.to_string())),
        }),
        e @ (IdError::Crypto(_) | IdError::Storage(_)) => {
            FormOutcome::Page(PageError::Internal(e.to_string()))
        }
    }
}

/// An identity error on a page without a form.
pub fn identity_page(e: IdError) -> PageError {
    match identity_form(e, "") {
        FormOutcome::Page(p) => p,
        FormOutcome::Field(_, msg) => PageError::Forbidden(msg),
    }
}

/// A catalog error for a form whose fallback field is `default_field`.
pub fn catalog_form(e: tongban_catalog::Error, default_field: &str) -> FormOutcome {
    use tongban_catalog::Error as C;
    match e {
        C::Invalid(inv) => FormOutcome::Field(inv.field, inv.reason),
        C::Conflict { field, reason } => FormOutcome::Field(field, reason),
        e @ C::Calendar(_) => FormOutcome::Field(default_field.into(), e.message()),
        C::NotFound { .. } => FormOutcome::Page(PageError::NotFound),
        C::Forbidden { why } => FormOutcome::Page(PageError::Forbidden(why)),
        e @ C::Storage(_) => FormOutcome::Page(PageError::Internal(e.to_string())),
    }
}

/// A pool error on a form: invalid input names its field; the rest is a page.
pub fn pool_form(e: tongban_pool::Error, default_field: &str) -> FormOutcome {
    use tongban_pool::Error as P;
    match e {
        P::Invalid(inv) => FormOutcome::Field(inv.field, inv.reason),
        P::Forbidden { why } => FormOutcome::Page(PageError::Forbidden(why)),
        P::NotFound => FormOutcome::Page(PageError::NotFound),
        P::Catalog(c) => catalog_form(c, default_field),
        other => FormOutcome::Page(PageError::Internal(other.to_string())),
    }
}

/// A pool error on a page without a form.
pub fn pool_page(e: tongban_pool::Error) -> PageError {
    match pool_form(e, "") {
        FormOutcome::Page(p) => p,
        FormOutcome::Field(_, msg) => PageError::BadRequest(msg),
    }
}

/// A catalog error on a page without a form.
pub fn catalog_page(e: tongban_catalog::Error) -> PageError {
    match catalog_form(e, "") {
        FormOutcome::Page(p) => p,
        FormOutcome::Field(_, msg) => PageError::BadRequest(msg),
    }
}

/// A seal error on a form: invalid input and clashes name their field; the rest is a page.
pub fn seal_form(e: tongban_seal::Error, default_field: &str) -> FormOutcome {
    use tongban_seal::Error as S;
    match e {
        S::Invalid(inv) => FormOutcome::Field(inv.field, inv.reason),
        S::Conflict { field, reason } => FormOutcome::Field(field, reason),
        S::NotFound { .. } => FormOutcome::Page(PageError::NotFound),
        S::Forbidden { why } => FormOutcome::Page(PageError::Forbidden(why)),
        e @ S::Io { .. } => FormOutcome::Field(default_field.into(), e.message()),
        e @ (S::Key(_) | S::Storage(_)) => FormOutcome::Page(PageError::Internal(e.to_string())),
    }
}

/// A seal error on a page without a form.
pub fn seal_page(e: tongban_seal::Error) -> PageError {
    match seal_form(e, "") {
        FormOutcome::Page(p) => p,
        FormOutcome::Field(_, msg) => PageError::BadRequest(msg),
    }
}

/// An interaction error as a page failure.
pub(crate) fn interact_page(e: tongban_interact::Error) -> PageError {
    use tongban_interact::Error as I;
    match e {
        I::NotFound { .. } => PageError::NotFound,
        I::Forbidden { why } => PageError::Forbidden(why),
        e @ (I::Invalid(_) | I::Conflict { .. } | I::Calendar(_) | I::RateLimited { .. }) => {
            PageError::BadRequest(e.message())
        }
        e @ I::Storage(_) => PageError::Internal(e.to_string()),
    }
}

/// A hall error as a page failure.
pub(crate) fn hall_page(e: tongban_hall::Error) -> PageError {
    use tongban_hall::Error as H;
    match e {
        H::NotFound { .. } => PageError::NotFound,
        H::Forbidden { why } => PageError::Forbidden(why),
        e @ (H::Invalid(_) | H::Conflict { .. } | H::Calendar(_) | H::Licence(_)) => {
            PageError::BadRequest(e.message())
        }
        e @ (H::Directory(_) | H::Prefill(_) | H::Storage(_)) => PageError::Internal(e.to_string()),
    }
}

/// The field and message of a hall error a form can show, if it is one.
pub(crate) fn hall_field(e: &tongban_hall::Error) -> Option<(String, tongban_kernel::Msg)> {
    use tongban_hall::Error as H;
    match e {
        H::Invalid(i) => Some((i.field.clone(), i.reason.clone())),
        H::Conflict { field, reason } => Some((field.clone(), reason.clone())),
        H::Licence(inner) => Some((inner.field().unwrap_or("licence").to_string(), e.message())),
        _ => None,
    }
}

/// Every domain error a page can meet becomes a [`PageError`] by `?`.
macro_rules! page_error_from {
    ($($error:ty => $page:path),* $(,)?) => {
        $(impl From<$error> for PageError {
            fn from(e: $error) -> Self {
                $page(e)
            }
        })*
    };
}

page_error_from! {
    tongban_identity::Error => identity_page,
    tongban_catalog::Error => catalog_page,
    tongban_pool::Error => pool_page,
    tongban_seal::Error => seal_page,
    tongban_interact::Error => interact_page,
    tongban_hall::Error => hall_page,
}
