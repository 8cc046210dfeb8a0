//! A JSON body extractor whose errors are 400 problems naming the field at fault, instead of
//! axum's default 422 text.

use crate::problem::Problem;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use tongban_kernel::msg;

/// A JSON request body of type `T`.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(Problem::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "media-type",
                msg!("send-content-type-json").to_string(),
            ));
        }
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Problem::new(
                    e.status(),
                    "too-large",
                    msg!("request-body-too-large").to_string(),
                )
            } else {
                Problem::invalid("body", msg!("could-not-read-body"))
            }
        })?;
        parse(&body).map(ApiJson)
    }
}

/// Parses `body` as `T`, naming the field at fault.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return Problem::invalid(
                "body",
                msg!("malformed-json-at", line = inner.line(), column = inner.column()),
            );
        }
        let msg = inner.to_string();
        // "missing field `username`" is reported at the parent's path; name the field itself.
        let field = msg
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .map(|f| {
                if path == "." {
                    f.to_string()
                } else {
                    format!("{path}.{f}")
                }
            })
            .unwrap_or(if path == "." { "body".to_string() } else { path });
        let reason = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        Problem::invalid(&field, msg!("field-missing-or-mistyped", reason = reason))
    })
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Login {
        username: String,
        age: u32,
    }

    #[test]
    fn missing_and_mistyped_fields_are_named() {
        let p = super::parse::<Login>(br#"{"age": 3}"#).unwrap_err();
        assert_eq!(p.field.as_deref(), Some("username"));
        let p = super::parse::<Login>(br#"{"username": "a", "age": "three"}"#).unwrap_err();
        assert_eq!(p.field.as_deref(), Some("age"));
        let p = super::parse::<Login>(br#"{"username": "#).unwrap_err();
        assert_eq!(p.field.as_deref(), Some("body"));
        assert_eq!(p.status, 400);
    }
}
