//! The API keys of the systems that file through Open311: issued once in clear, kept as an
//! SM3 hash, revoked by name.

use crate::events::{Open311KeyAdded, Open311KeyRevoked};
use crate::{Error, Interact, Result};
use serde::Serialize;
use tongban_db::{EventDraft, params};
use tongban_kernel::msg;
use tongban_kernel::{Millis, Permission, Principal, PrincipalKind};

/// Principal ids of Open311 keys start with this, so their items are told apart from other
/// channels.
pub(super) const KEY_PRINCIPAL_PREFIX: &str = "open311:";

/// An API key as listed (the key itself is shown once, when it is made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Open311Key {
    /// The system's name, recorded as the channel of what it files.
    pub name: String,
    /// When it was issued.
    pub created: Millis,
    /// When it was revoked.
    pub revoked: Option<Millis>,
}

/// A key name: 1–64 of `A-Z a-z 0-9 _ . -`.
fn key_name(name: &str) -> Result<String> {
    let n = name.trim();
    let ok = !n.is_empty()
        && n.len() <= 64
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(n.to_string())
    } else {
        Err(Error::invalid("name", msg!("name-1-64-z")))
    }
}

fn key_hash(key: &str) -> String {
    tongban_crypto::sm3(key.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn new_key() -> String {
    use rand_core::RngCore as _;
    let mut bytes = [0u8; 24];
    rand_core::OsRng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("o311_{hex}")
}

impl Interact {
    /// Issues an API key for the system `name` (`ManageApiClients` over the whole tree, or the
    /// platform). Returns the key in clear, once; only its SM3 hash is stored.
    #[tracing::instrument(skip_all)]
    pub async fn add_open311_key(&self, actor: &Principal, name: &str) -> Result<(Open311Key, String)> {
        actor.require(Permission::ManageApiClients, None)?;
        let name = key_name(name)?;
        let key = new_key();
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let taken = tx
            .fetch_optional(
                "SELECT id FROM interact_open311_keys WHERE name = $1 AND revoked_ms IS NULL",
                params![name.clone()],
            )
            .await?;
        if taken.is_some() {
            return Err(Error::conflict("name", msg!("active-key-name-exists")));
        }
        let id = tongban_kernel::id::new_uuid_v7();
        tx.execute(
            "INSERT INTO interact_open311_keys (id, name, key_hash, created_by, created_ms, revoked_ms) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            params![
                id.clone(),
                name.clone(),
                key_hash(&key),
                actor.id.clone(),
                now,
                None::<i64>
            ],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &Open311KeyAdded { name: name.clone() },
                &id,
                None,
                msg!("issued-open311-key-name", name = name),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok((
            Open311Key {
                name,
                created: now,
                revoked: None,
            },
            key,
        ))
    }

    /// Every key ever issued, newest first (`ManageApiClients` over the whole tree).
    pub async fn open311_keys(&self, actor: &Principal) -> Result<Vec<Open311Key>> {
        actor.require(Permission::ManageApiClients, None)?;
        self.db
            .fetch_all(
                "SELECT name, created_ms, revoked_ms FROM interact_open311_keys ORDER BY created_ms DESC, id DESC",
                params![],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(Open311Key {
                    name: r.get("name")?,
                    created: r.get("created_ms")?,
                    revoked: r.get("revoked_ms")?,
                })
            })
            .collect()
    }

    /// Revokes the active key of `name`: it stops working at once (`ManageApiClients` over the
    /// whole tree).
    #[tracing::instrument(skip_all)]
    pub async fn revoke_open311_key(&self, actor: &Principal, name: &str) -> Result<Open311Key> {
        actor.require(Permission::ManageApiClients, None)?;
        let name = key_name(name)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let row = tx
            .fetch_optional(
                "UPDATE interact_open311_keys SET revoked_ms = $1 WHERE name = $2 AND revoked_ms IS NULL \
                 RETURNING id, created_ms",
                params![now, name.clone()],
            )
            .await?
            .ok_or(Error::NotFound { what: "open311_key" })?;
        let id: String = row.get("id")?;
        tx.append_event(
            actor,
            EventDraft::of(
                &Open311KeyRevoked { name: name.clone() },
                &id,
                None,
                msg!("revoked-open311-key-name", name = name),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(Open311Key {
            name,
            created: row.get("created_ms")?,
            revoked: Some(now),
        })
    }

    /// The system an active API key belongs to, as the principal that files in its name; `None`
    /// for an unknown or revoked key.
    pub async fn open311_caller(&self, key: &str) -> Result<Option<Principal>> {
        if key.trim().is_empty() || key.len() > 200 {
            return Ok(None);
        }
        let row = self
            .db
            .fetch_optional(
                "SELECT name FROM interact_open311_keys WHERE key_hash = $1 AND revoked_ms IS NULL",
                params![key_hash(key)],
            )
            .await?;
        Ok(match row {
            Some(r) => {
                let name: String = r.get("name")?;
                Some(Principal {
                    kind: PrincipalKind::ApiClient,
                    id: format!("{KEY_PRINCIPAL_PREFIX}{name}"),
                    name,
                    department: None,
                    grants: Vec::new(),
                    purpose: None,
                })
            }
            None => None,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_hashed_and_random() {
        let a = new_key();
        assert_ne!(a, new_key());
        assert_eq!(key_hash(&a).len(), 64);
        assert!(key_name("city-app_1.0").is_ok());
        assert!(key_name("bad name").is_err());
    }
}
