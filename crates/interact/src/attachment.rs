//! Attachments sent with an item (photos of the pothole, a scanned letter): at most
//! [`MAX_ATTACHMENTS`] files of at most [`MAX_ATTACHMENT_BYTES`], PDF, PNG or JPEG by their
//! content; images lose their metadata (GPS position, device, time) before anything is stored;
//! the content is SM4-GCM encrypted. The submitter and the staff who may see the item read
//! them; a staff reading is recorded as an event.

use crate::Access;
use crate::events::AttachmentRead;
use crate::store::item_event;
use crate::{Error, Interact, ItemId, Result};
use serde::Serialize;
use tongban_db::{Row, Tx, params};
use tongban_kernel::msg;
use tongban_kernel::upload::{self, Upload};
use tongban_kernel::{Millis, Principal, define_id};
use zeroize::Zeroizing;

define_id!(
    /// An attachment's id.
    AttachmentId
);

/// The most files one item may carry.
pub const MAX_ATTACHMENTS: usize = 3;

/// The largest attachment accepted, in bytes (10 MiB).
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The column the encrypted bodies are bound to (associated data).
pub(crate) const BODY_FIELD: &str = "interact_attachments.body";

/// The form field every refusal names.
const FIELD: &str = "attachments";

/// A stored attachment's description (its content is read with [`Interact::attachment`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// Its id.
    pub id: AttachmentId,
    /// The item it came with.
    pub item_id: ItemId,
    /// Display name.
    pub file_name: String,
    /// The media type its content was recognised as.
    pub media_type: String,
    /// Size in bytes, as stored (after metadata was removed).
    pub size: u64,
    /// SM3 digest of the stored content, hex.
    pub sm3: String,
    /// How many metadata blocks were removed from it.
    pub metadata_removed: u32,
    /// When it arrived.
    pub created: Millis,
}

/// An attachment checked, stripped and encrypted, ready to be written with its item.
pub(crate) struct Prepared {
    meta: Attachment,
    body: Vec<u8>,
}

const COLUMNS: &str = "id, item_id, file_name, media_type, size_bytes, sm3, metadata_removed, created_ms";

fn from_row(r: &Row) -> Result<Attachment> {
    Ok(Attachment {
        id: AttachmentId(r.get("id")?),
        item_id: ItemId(r.get("item_id")?),
        file_name: r.get("file_name")?,
        media_type: r.get("media_type")?,
        size: u64::try_from(r.get::<i64>("size_bytes")?).unwrap_or_default(),
        sm3: r.get("sm3")?,
        metadata_removed: u32::try_from(r.get::<i64>("metadata_removed")?).unwrap_or_default(),
        created: r.get("created_ms")?,
    })
}

impl Interact {
    /// Checks each file (count, size, kind by content, declared type), removes image metadata
    /// and encrypts it. Refusals name `attachments`.
    pub(crate) fn prepare_attachments(&self, files: Vec<Upload>, now: Millis) -> Result<Vec<Prepared>> {
        if files.len() > MAX_ATTACHMENTS {
            return Err(Error::invalid(
                FIELD,
                msg!(
                    "most-max-attachments-attachments",
                    max_attachments = MAX_ATTACHMENTS
                ),
            ));
        }
        files
            .into_iter()
            .map(|f| {
                let media = upload::check(FIELD, &f, MAX_ATTACHMENT_BYTES)?;
                let stripped = upload::strip_metadata(FIELD, media, &f.bytes)?;
                let meta = Attachment {
                    id: AttachmentId::new(),
                    item_id: ItemId(String::new()),
                    file_name: upload::clean_name(&f.file_name),
                    media_type: media.mime().to_string(),
                    size: stripped.bytes.len() as u64,
                    sm3: hex::encode(tongban_crypto::sm3(&stripped.bytes)),
                    metadata_removed: u32::try_from(stripped.removed).unwrap_or(u32::MAX),
                    created: now,
                };
                let body = self.fields.encrypt_bytes(BODY_FIELD, &stripped.bytes);
                Ok(Prepared { meta, body })
            })
            .collect()
    }

    /// The attachments of item `id`, in the order they were sent, for whoever may see the item.
    pub async fn attachments(&self, actor: &Principal, id: &ItemId) -> Result<Vec<Attachment>> {
        let item = self.load_item(id).await?;
        self.access(actor, &item).await?;
        self.db
            .fetch_all(
                &format!("SELECT {COLUMNS} FROM interact_attachments WHERE item_id = $1 ORDER BY position"),
                params![id.as_str()],
            )
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// One attachment with its content, for the submitter and the staff who may see its item
    /// (their reading leaves an event). Anyone else is told it does not exist.
    #[tracing::instrument(skip_all)]
    pub async fn attachment(
        &self,
        actor: &Principal,
        id: &AttachmentId,
    ) -> Result<(Attachment, Zeroizing<Vec<u8>>)> {
        let row = self
            .db
            .fetch_optional(
                &format!("SELECT {COLUMNS}, body FROM interact_attachments WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .ok_or(Error::NotFound { what: "attachment" })?;
        let meta = from_row(&row)?;
        let item = self.load_item(&meta.item_id).await?;
        let access = self
            .access(actor, &item)
            .await
            .map_err(|_| Error::NotFound { what: "attachment" })?;
        let body: Vec<u8> = row.get("body")?;
        let clear = self
            .fields
            .decrypt_bytes(BODY_FIELD, &body)
            .map_err(|_| Error::conflict(FIELD, msg!("attachment-cannot-decrypted")))?;
        if access == Access::Staff {
            let mut tx = self.db.begin_write().await?;
            item_event(
                &mut tx,
                actor,
                AttachmentRead {
                    attachment: meta.id.to_string(),
                },
                &item,
                ("查看诉求附件", "read an attachment"),
            )
            .await?;
            tx.commit().await?;
        }
        Ok((meta, clear))
    }
}

/// Writes the prepared attachments of item `item` in the submission's transaction.
pub(crate) async fn insert(tx: &mut Tx, item: &ItemId, files: Vec<Prepared>) -> Result<Vec<Attachment>> {
    let mut out = Vec::with_capacity(files.len());
    for (position, Prepared { mut meta, body }) in files.into_iter().enumerate() {
        meta.item_id = item.clone();
        tx.execute(
            "INSERT INTO interact_attachments (id, item_id, position, file_name, media_type, size_bytes, sm3, \
             metadata_removed, body, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            params![
                meta.id.as_str(),
                item.as_str(),
                position as i64,
                meta.file_name.as_str(),
                meta.media_type.as_str(),
                meta.size as i64,
                meta.sm3.as_str(),
                i64::from(meta.metadata_removed),
                body,
                meta.created
            ],
        )
        .await?;
        out.push(meta);
    }
    Ok(out)
}
