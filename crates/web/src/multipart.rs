//! Reading a `multipart/form-data` page post: the CSRF token must come first and match, text
//! fields are collected by name, and files are read up to a limit each (a larger one is read to
//! its end, so the browser gets the answer, but kept as a flag rather than in memory). The
//! domain checks what the files are.

use crate::context::Ctx;
use crate::page::PageError;
use axum::extract::Multipart;
use std::collections::HashMap;
use tongban_kernel::upload::Upload;

/// A posted multipart form.
#[derive(Debug, Default)]
pub(crate) struct Posted {
    /// Text fields by name (the last value of a repeated name).
    pub(crate) fields: HashMap<String, String>,
    /// Chosen files, in the order sent, with the name of their input.
    pub(crate) files: Vec<(String, Upload)>,
    /// A file was larger than the limit (and was not kept).
    pub(crate) too_big: bool,
}

impl Posted {
    /// The files posted under input `name`.
    pub(crate) fn take_files(&mut self, name: &str) -> Vec<Upload> {
        let (mine, rest) = std::mem::take(&mut self.files)
            .into_iter()
            .partition(|(n, _)| n == name);
        self.files = rest;
        mine.into_iter().map(|(_, u)| u).collect()
    }
}

/// Reads `form`, keeping files of at most `max_file_bytes`. Inputs named in `file_inputs` are
/// read as files; an input left empty by the browser (no name, no bytes) is skipped.
pub(crate) async fn read(
    ctx: &Ctx,
    form: &mut Multipart,
    file_inputs: &[&str],
    max_file_bytes: usize,
) -> Result<Posted, PageError> {
    let bad = || PageError::BadRequest(ctx.t().s("material.bad_upload").into());
    let mut csrf_ok = false;
    let mut posted = Posted::default();
    while let Some(mut field) = form.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "csrf" {
            let sent = field.text().await.map_err(|_| bad())?;
            csrf_ok = !sent.is_empty() && crate::security::same_secret(&sent, &ctx.csrf);
            continue;
        }
        if !csrf_ok {
            return Err(PageError::Csrf);
        }
        if !file_inputs.contains(&name.as_str()) {
            let text = field.text().await.map_err(|_| bad())?;
            posted.fields.insert(name, text);
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_string();
        let declared_type = field.content_type().unwrap_or_default().to_string();
        let mut bytes = Vec::new();
        let mut over = false;
        while let Some(chunk) = field.chunk().await.map_err(|_| bad())? {
            if over || bytes.len() + chunk.len() > max_file_bytes {
                over = true;
                bytes = Vec::new();
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        posted.too_big |= over;
        let left_empty = bytes.is_empty() && file_name.is_empty();
        if !over && !left_empty {
            posted.files.push((
                name,
                Upload {
                    file_name,
                    declared_type,
                    bytes,
                },
            ));
        }
    }
    if !csrf_ok {
        return Err(PageError::Csrf);
    }
    Ok(posted)
}
