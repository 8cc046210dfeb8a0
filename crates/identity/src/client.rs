//! Department systems (接入系统) that call the platform: registered with a client id and a secret
//! shown once (kept as an Argon2id hash), they exchange the secret for a 10-minute bearer token
//! (kept as an SM3 hash) and act as a principal of their department.

use crate::department::{self, JOINED_COLUMNS};
use crate::events::{
    ClientAuthFailed, ClientCreated, ClientDisabled, ClientSecretRotated, ClientTokenIssued,
};
use crate::{
    AccessToken, ApiClient, BearerAuth, ClientId, DeptId, Error, Identity, Result, clean_name,
    new_secret_token, password, token_hash,
};
use std::time::Duration;
use tongban_db::{EventDraft, Row, params};
use tongban_kernel::fresh::{FreshMap, Generation};
use tongban_kernel::msg;
use tongban_kernel::{Millis, Permission, Principal, PrincipalKind};

/// The longest a checked client token is trusted from memory.
pub const BEARER_CACHE_FOR: Duration = Duration::from_secs(1);

/// Bumped after every committed change to API clients, their tokens or departments in this
/// process: tokens checked before it are checked again.
static BEARER_GENERATION: Generation = Generation::new();

/// Checked client tokens by hash.
pub(crate) type BearerCache = FreshMap<String, BearerAuth>;

/// An empty cache of token checks.
pub(crate) fn bearer_cache() -> BearerCache {
    FreshMap::new(&BEARER_GENERATION, BEARER_CACHE_FOR)
}

/// Marks every cached token check as stale.
pub(crate) fn bearer_changed() {
    BEARER_GENERATION.bump();
}

/// Lifetime of a bearer token, in seconds.
pub const TOKEN_TTL_SECS: u64 = 600;

const COLUMNS: &str = "c.id, c.client_id, c.name, c.scopes, c.created_ms, c.disabled";
const FROM: &str = "api_clients c JOIN departments d ON d.id = c.department_id";

/// Scopes: `[a-z0-9_.:-]{1,64}`, at least one, at most 32, no repeats.
fn check_scopes(field: &str, scopes: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for s in scopes {
        let s = s.trim();
        let ok = (1..=64).contains(&s.len())
            && s.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b':' | b'-')
            });
        if !ok {
            return Err(Error::invalid(field, msg!("scope-1-64-z")));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    if out.is_empty() || out.len() > 32 {
        return Err(Error::invalid(field, msg!("between-1-32-scopes")));
    }
    Ok(out)
}

fn split_scopes(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

fn client_from_row(r: &Row) -> Result<ApiClient> {
    Ok(ApiClient {
        id: ClientId(r.get("id")?),
        client_id: r.get("client_id")?,
        name: r.get("name")?,
        department: department::from_row(r, "dept_")?,
        scopes: split_scopes(&r.get::<String>("scopes")?),
        created: r.get("created_ms")?,
        disabled: r.get("disabled")?,
    })
}

fn client_principal(c: &ApiClient) -> Principal {
    Principal {
        kind: PrincipalKind::ApiClient,
        id: c.id.as_str().to_string(),
        name: c.client_id.clone(),
        department: Some(c.department.path.clone()),
        grants: Vec::new(),
        purpose: None,
    }
}

impl Identity {
    async fn client_where(&self, clause: &str, value: &str) -> Result<Option<ApiClient>> {
        self.db
            .fetch_optional(
                &format!("SELECT {COLUMNS}, {JOINED_COLUMNS} FROM {FROM} WHERE {clause} = $1"),
                params![value],
            )
            .await?
            .map(|r| client_from_row(&r))
            .transpose()
    }

    /// Registers a department system for `dept` (`ManageApiClients` over it) allowed to ask for
    /// `scopes`. Returns the client and its secret, which is shown this once and never again.
    #[tracing::instrument(skip_all)]
    pub async fn create_api_client(
        &self,
        actor: &Principal,
        dept: &DeptId,
        name: &str,
        scopes: &[String],
    ) -> Result<(ApiClient, String)> {
        let department = self.require_department(dept).await?;
        actor.require(Permission::ManageApiClients, Some(&department.path))?;
        let name = clean_name("name", name, 100)?;
        let scopes = check_scopes("scopes", scopes)?;
        let client = ApiClient {
            id: ClientId::new(),
            client_id: format!("tbc_{}", tongban_crypto::token::hex_id::<12>()),
            name,
            department,
            scopes,
            created: self.now(),
            disabled: false,
        };
        let (secret, _) = new_secret_token();
        let secret_hash = password::hash(&secret).await?;
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "INSERT INTO api_clients (id, client_id, name, department_id, secret_hash, scopes, \
             created_ms, disabled) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
            params![
                client.id.as_str(),
                client.client_id,
                client.name,
                client.department.id.as_str(),
                secret_hash,
                client.scopes.join(" "),
                client.created
            ],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &ClientCreated {
                    client_id: client.client_id.clone(),
                    name: client.name.clone(),
                    department: client.department.path.clone(),
                    scopes: client.scopes.clone(),
                },
                client.id.as_str(),
                Some(&client.department.path),
                msg!(
                    "registered-api-client-name",
                    name = client.name,
                    client_id = client.client_id
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        bearer_changed();
        Ok((client, secret))
    }

    /// The department systems the actor manages (`ManageApiClients` scopes), by client id.
    pub async fn list_api_clients(&self, actor: &Principal) -> Result<Vec<ApiClient>> {
        let scopes = actor.scopes_for(Permission::ManageApiClients);
        if scopes.is_empty() {
            actor.require(Permission::ManageApiClients, None)?;
        }
        let mut clients = self
            .db
            .fetch_all(
                &format!("SELECT {COLUMNS}, {JOINED_COLUMNS} FROM {FROM} ORDER BY c.client_id"),
                params![],
            )
            .await?
            .iter()
            .map(client_from_row)
            .collect::<Result<Vec<_>>>()?;
        clients.retain(|c| scopes.iter().any(|s| s.contains(&c.department.path)));
        Ok(clients)
    }

    /// The department system `id`, for an actor who manages its department's systems.
    async fn managed_client(&self, actor: &Principal, id: &ClientId) -> Result<ApiClient> {
        let client = self
            .client_where("c.id", id.as_str())
            .await?
            .ok_or(Error::NotFound { what: "api_client" })?;
        actor.require(Permission::ManageApiClients, Some(&client.department.path))?;
        Ok(client)
    }

    /// Switches a department system off and ends its tokens (`ManageApiClients` over it).
    #[tracing::instrument(skip_all)]
    pub async fn disable_api_client(&self, actor: &Principal, id: &ClientId) -> Result<ApiClient> {
        let client = self.managed_client(actor, id).await?;
        if client.disabled {
            return Ok(client);
        }
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "UPDATE api_clients SET disabled = 1 WHERE id = $1",
            params![client.id.as_str()],
        )
        .await?;
        tx.execute(
            "DELETE FROM api_tokens WHERE client_id = $1",
            params![client.id.as_str()],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &ClientDisabled {
                    client_id: client.client_id.clone(),
                },
                client.id.as_str(),
                Some(&client.department.path),
                msg!("disabled-api-client-client", client_id = client.client_id),
            ),
        )
        .await?;
        tx.commit().await?;
        bearer_changed();
        Ok(ApiClient {
            disabled: true,
            ..client
        })
    }

    /// Gives a department system a new secret (`ManageApiClients` over it), shown this once;
    /// the old secret stops working and every token it got ends at once. A disabled system is
    /// not given one.
    #[tracing::instrument(skip_all)]
    pub async fn rotate_api_client_secret(
        &self,
        actor: &Principal,
        id: &ClientId,
    ) -> Result<(ApiClient, String)> {
        let client = self.managed_client(actor, id).await?;
        if client.disabled {
            return Err(Error::conflict("client", msg!("department-system-disabled")));
        }
        let (secret, _) = new_secret_token();
        let secret_hash = password::hash(&secret).await?;
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "UPDATE api_clients SET secret_hash = $1 WHERE id = $2",
            params![secret_hash, client.id.as_str()],
        )
        .await?;
        tx.execute(
            "DELETE FROM api_tokens WHERE client_id = $1",
            params![client.id.as_str()],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &ClientSecretRotated {
                    client_id: client.client_id.clone(),
                },
                client.id.as_str(),
                Some(&client.department.path),
                msg!("rotated-secret-api-client", client_id = client.client_id),
            ),
        )
        .await?;
        tx.commit().await?;
        bearer_changed();
        Ok((client, secret))
    }

    async fn record_client_failure(&self, client_id: &str, object: &str, reason: &str) -> Result<()> {
        // Only a well-formed client id is repeated in the event; anything else may be a pasted secret.
        let shown = if client_id.starts_with("tbc_")
            && client_id.len() <= 40
            && client_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            client_id.to_string()
        } else {
            msg!("malformed").to_string()
        };
        let mut tx = self.db.begin_write().await?;
        tx.append_event(
            &Principal::anonymous(),
            EventDraft::of(
                &ClientAuthFailed {
                    client_id: shown.clone(),
                    reason: reason.into(),
                },
                object,
                None,
                msg!("api-client-shown-failed", shown = shown),
            ),
        )
        .await?;
        tx.commit().await?;
        bearer_changed();
        Ok(())
    }

    /// Exchanges a client id and secret for a bearer token valid 600 s, carrying the requested
    /// scopes (all of the client's when none are asked for). Wrong ids and secrets are both
    /// `BadCredentials`; a scope the client does not hold is `Invalid` on `scope`.
    #[tracing::instrument(skip_all)]
    pub async fn issue_token(
        &self,
        client_id: &str,
        secret: &str,
        requested: &[String],
    ) -> Result<AccessToken> {
        let client_id = client_id.trim();
        let stored = self
            .db
            .fetch_optional(
                "SELECT id, secret_hash FROM api_clients WHERE client_id = $1",
                params![client_id],
            )
            .await?;
        let Some(stored) = stored else {
            password::verify_nothing(secret).await?;
            self.record_client_failure(client_id, "unknown", "unknown_client")
                .await?;
            return Err(Error::BadCredentials);
        };
        let row_id: String = stored.get("id")?;
        let hash: String = stored.get("secret_hash")?;
        if !password::verify(secret.trim(), &hash).await? {
            self.record_client_failure(client_id, &row_id, "bad_secret")
                .await?;
            return Err(Error::BadCredentials);
        }
        let client = self
            .client_where("c.id", &row_id)
            .await?
            .ok_or(Error::BadCredentials)?;
        if client.disabled {
            return Err(Error::Disabled);
        }
        let scopes = if requested.iter().all(|s| s.trim().is_empty()) {
            client.scopes.clone()
        } else {
            let asked = check_scopes("scope", requested)?;
            if let Some(extra) = asked.iter().find(|s| !client.scopes.contains(s)) {
                return Err(Error::invalid(
                    "scope",
                    msg!("scope-extra-not-granted", extra = extra),
                ));
            }
            asked
        };
        let (token, token_hash) = new_secret_token();
        let now = self.now();
        let ttl_ms = i64::try_from(TOKEN_TTL_SECS * 1000).unwrap_or(600_000);
        let expires = now.plus_ms(ttl_ms);
        let actor = client_principal(&client);
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "INSERT INTO api_tokens (token_hash, client_id, scopes, created_ms, expires_ms) \
             VALUES ($1, $2, $3, $4, $5)",
            params![token_hash, client.id.as_str(), scopes.join(" "), now, expires],
        )
        .await?;
        tx.append_event(
            &actor,
            EventDraft::of(
                &ClientTokenIssued {
                    client_id: client.client_id.clone(),
                    scopes: scopes.clone(),
                    expires_ms: expires.0,
                },
                client.id.as_str(),
                Some(&client.department.path),
                msg!("issued-token-api-client", client_id = client.client_id),
            ),
        )
        .await?;
        tx.commit().await?;
        bearer_changed();
        Ok(AccessToken {
            token,
            token_type: "Bearer",
            expires_in: TOKEN_TTL_SECS,
            scopes,
        })
    }

    /// The system a client token stands for, with the token's scopes, while the token is live
    /// and the client enabled; otherwise `Unauthenticated`. Answered from memory when the same
    /// token was checked within [`BEARER_CACHE_FOR`] and no client or department has changed in
    /// this process since (so disabling a client or revoking its tokens takes effect at once
    /// here, and within that bound on other processes sharing the database).
    pub async fn authenticate_bearer(&self, token: &str) -> Result<BearerAuth> {
        if let Some(hit) = self.cached_bearer(token) {
            return Ok(hit);
        }
        let hash = token_hash(token).ok_or(Error::Unauthenticated)?;
        let read_at = self.bearer_cache.generation();
        let r = self
            .db
            .fetch_optional(
                &format!(
                    "SELECT {COLUMNS}, {JOINED_COLUMNS}, t.scopes AS token_scopes, t.expires_ms \
                     FROM api_tokens t JOIN api_clients c ON c.id = t.client_id \
                     JOIN departments d ON d.id = c.department_id WHERE t.token_hash = $1"
                ),
                params![hash],
            )
            .await?
            .ok_or(Error::Unauthenticated)?;
        let client = client_from_row(&r)?;
        let expires: Millis = r.get("expires_ms")?;
        if client.disabled || expires <= self.now() {
            return Err(Error::Unauthenticated);
        }
        let auth = BearerAuth {
            principal: client_principal(&client),
            scopes: split_scopes(&r.get::<String>("token_scopes")?),
            expires,
        };
        self.bearer_cache.put(hash, auth.clone(), read_at);
        Ok(auth)
    }

    /// A client token checked moments ago and still good, without reading the database; `None`
    /// when it has to be read (or is not a client token at all).
    pub fn cached_bearer(&self, token: &str) -> Option<BearerAuth> {
        let auth = self.bearer_cache.get(&token_hash(token)?)?;
        (auth.expires > self.now()).then_some(auth)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_checked_and_deduplicated() {
        let ok = check_scopes("scopes", &["exchange:read".into(), "exchange:read".into()]).unwrap();
        assert_eq!(ok, vec!["exchange:read"]);
        assert!(check_scopes("scopes", &[]).is_err());
        match check_scopes("scopes", &["DROP TABLE".into()]) {
            Err(Error::Invalid(i)) => assert_eq!(i.field, "scopes"),
            other => panic!("{other:?}"),
        }
    }
}
