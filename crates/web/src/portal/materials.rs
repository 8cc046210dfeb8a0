//! A case's materials: the download of a stored material for its uploader and the staff
//! handling its case, and the rows the case pages show.

use crate::AppState;
use crate::context::Ctx;
use crate::context::User;
use crate::page::{PageError, PageResult};
use axum::extract::{Path, State};
use tongban_hall::FileId;

/// `GET /files/{id}`: a stored material, for the applicant who uploaded it and for the staff
/// handling its case (the hall records staff reads). Always a download, never shown inline.
pub(super) async fn file(
    State(state): State<AppState>,
    User(user): User,
    Path(id): Path<String>,
) -> PageResult {
    if tongban_kernel::id::check_uuid("id", &id).is_err() {
        return Err(PageError::NotFound);
    }
    match state.hall.file(&user.principal, &FileId(id)).await {
        Ok((f, body)) => Ok(crate::page::download(&f.media_type, &f.file_name, body.to_vec())),
        Err(e) => Err(crate::errors::hall_page(e)),
    }
}

/// One material of a case as the case pages show it.
pub(crate) struct MaterialRow {
    pub(crate) name: String,
    pub(crate) shown: String,
    /// The stored file to download, for an upload.
    pub(crate) file: Option<String>,
}

/// The rows of a case's materials.
pub(crate) fn material_rows(ctx: &Ctx, materials: &[tongban_hall::CaseMaterial]) -> Vec<MaterialRow> {
    let t = ctx.t();
    materials
        .iter()
        .map(|m| {
            let (shown, file) = match &m.provided {
                tongban_hall::Provided::Upload {
                    file,
                    file_name,
                    size,
                    ..
                } => (
                    format!("{file_name}（{} KiB）", size.div_ceil(1024)),
                    Some(file.to_string()),
                ),
                tongban_hall::Provided::Licence { number } => {
                    (format!("{} {number}", t.s("material.licence")), None)
                }
                tongban_hall::Provided::Shared { .. } => (
                    format!(
                        "{}{}{}{}",
                        t.s("services.exempt"),
                        t.pick("（", " ("),
                        t.s("services.held_by_government"),
                        t.pick("）", ")")
                    ),
                    None,
                ),
                tongban_hall::Provided::IssuedInBundle { issuer, .. } => (
                    format!(
                        "{}{issuer}{}",
                        t.s("material.issued_in_bundle"),
                        t.pick("”办结时签发", "\" in this application is done")
                    ),
                    None,
                ),
            };
            MaterialRow {
                name: m.name.clone(),
                shown,
                file,
            }
        })
        .collect()
}
