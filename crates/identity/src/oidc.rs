//! The OIDC provider (统一身份认证) that signs people into department systems: OpenID Connect
//! Core 1.0 with the authorization code flow and PKCE (RFC 7636, S256 only), refresh tokens
//! that rotate on every use (a reused one ends its whole family, RFC 9700 §4.14), ID tokens
//! signed ES256 — what standard relying parties verify — or SM2 for systems that must use the
//! national algorithms, keys published as a JWK set that keeps rotated keys until their tokens
//! have expired, and RP-initiated logout. A system is registered for one department with exact
//! redirect URIs; its secret is shown once and kept as an Argon2id hash. Codes and tokens are kept
//! only as SM3 hashes. Claims carry the person's department and roles, never an ID number.

use crate::department::{self, JOINED_COLUMNS};
use crate::events::{
    OidcAuthorized, OidcClientCreated, OidcClientDisabled, OidcClientRotated, OidcFamilyRevoked,
    OidcKeyCreated, OidcLogout, OidcTokensIssued,
};
use crate::{
    AccountId, Department, DeptId, Error, Identity, Result, SessionId, clean_name, new_secret_token,
    password, token_hash,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::Digest;
use tongban_crypto::Keyring;
use tongban_crypto::jws::{JwsAlg, JwsKey, verify_compact};
use tongban_db::{EventDraft, EventKind, Row, params};
use tongban_kernel::msg;
use tongban_kernel::{Millis, Permission, Principal};

/// An authorization code is good for one minute.
pub const CODE_TTL_MS: i64 = 60_000;
/// An access token (and an ID token) for ten minutes.
pub const ACCESS_TTL_SECS: i64 = 600;
/// A refresh token for thirty days, once.
pub const REFRESH_TTL_MS: i64 = 30 * 24 * 3_600_000;
/// A retired signing key stays published this long after its last token could have been issued.
pub const RETIRED_KEY_KEPT_MS: i64 = 24 * 3_600_000;
/// Redirect URIs per client.
const MAX_REDIRECTS: usize = 10;

/// The scopes a client may ask for: `openid` (required), `profile` (name and login name),
/// `department` and `roles` (the person's department and roles there), `offline_access`.
pub const SCOPES: [&str; 5] = ["openid", "profile", "department", "roles", "offline_access"];

/// A registered department system that signs people in through the provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OidcClient {
    /// The public client id (`tbo_…`).
    pub client_id: String,
    /// Its name, shown on the consent page.
    pub name: String,
    /// The department that runs it.
    pub department: Department,
    /// The exact redirect URIs it may use (also the addresses it may return to after logout).
    pub redirect_uris: Vec<String>,
    /// How its ID tokens are signed: `ES256` or `SM2`.
    pub id_token_alg: String,
    /// Registered at.
    pub created: Millis,
    /// Disabled clients can neither sign anyone in nor use their tokens.
    pub disabled: bool,
}

/// An authorization request checked against the client's registration.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthRequest {
    /// The client asking.
    pub client: OidcClient,
    /// Where the answer goes (one of the client's registered URIs).
    pub redirect_uri: String,
    /// The scopes asked for, known ones only, `openid` first.
    pub scope: Vec<String>,
    /// The client's `state`, returned as given.
    pub state: Option<String>,
    /// The client's `nonce`, put into the ID token.
    pub nonce: Option<String>,
    /// The PKCE S256 challenge.
    pub challenge: String,
    /// `prompt` values asked for (`none`, `consent`).
    pub prompt: Vec<String>,
}

/// The parameters of `GET /oidc/authorize`, as received.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuthParams {
    pub response_type: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub code_challenge_method: String,
    pub prompt: Option<String>,
}

/// Why an authorization request cannot go on.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthError {
    /// The client or the redirect URI is not known: told to the person, never redirected
    /// (RFC 6749 §4.1.2.1). Bilingual.
    Shown(String),
    /// Told to the client at its redirect URI (`error`, `error_description`, `state`).
    Redirect {
        /// The redirect URI to answer at.
        redirect_uri: String,
        /// The OAuth error code.
        error: &'static str,
        /// What was wrong (English, for the client's developers).
        description: String,
        /// The client's state.
        state: Option<String>,
    },
}

impl AuthError {
    /// The address to send the browser to, for an error told to the client.
    pub fn location(&self) -> Option<String> {
        match self {
            AuthError::Shown(_) => None,
            AuthError::Redirect {
                redirect_uri,
                error,
                description,
                state,
            } => Some(with_query(
                redirect_uri,
                &[
                    ("error", error),
                    ("error_description", description),
                    ("state", state.as_deref().unwrap_or("")),
                ],
            )),
        }
    }
}

/// What the token endpoint answers on success (RFC 6749 §5.1, OIDC Core §3.1.3.3).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenSet {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub id_token: String,
    pub scope: String,
}

/// A refusal at the token endpoint (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unsupported_grant_type`, `invalid_scope`.
    pub error: &'static str,
    /// What was wrong (English, for the client's developers).
    pub description: String,
}

impl TokenError {
    fn new(error: &'static str, description: impl Into<String>) -> TokenError {
        TokenError {
            error,
            description: description.into(),
        }
    }
}

/// The parameters of `POST /oidc/token`, as received (the client's credentials apart).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct TokenParams {
    pub grant_type: String,
    pub code: String,
    pub redirect_uri: String,
    pub code_verifier: String,
    pub refresh_token: String,
    pub client_id: String,
    pub client_secret: String,
}

/// Where a logout request sends the browser once the session has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutTarget {
    /// The client's registered address with its `state`, or `None` for the portal's own page.
    pub redirect: Option<String>,
}

/// `base` with `pairs` appended to its query (empty values left out).
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = base.to_string();
    let mut sep = if base.contains('?') { '&' } else { '?' };
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.push(sep);
        out.push_str(k);
        out.push('=');
        out.push_str(&url_encode(v));
        sep = '&';
    }
    out
}

fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A redirect URI a client may register: absolute `https`, or `http` on a loopback address
/// (RFC 8252 §7.3), no fragment, no user info, at most 512 characters.
fn check_redirect(uri: &str) -> std::result::Result<String, tongban_kernel::Invalid> {
    let uri = uri.trim();
    let bad = || tongban_kernel::Invalid::new("redirect_uri", msg!("redirect-uri-https-http", uri = uri));
    if uri.len() > 512 || uri.contains('#') || uri.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad());
    }
    let rest = if let Some(r) = uri.strip_prefix("https://") {
        r
    } else if let Some(r) = uri.strip_prefix("http://") {
        let host = r.split(['/', '?']).next().unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(h, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                host
            }
        });
        if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
            return Err(bad());
        }
        r
    } else {
        return Err(bad());
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Err(bad());
    }
    Ok(uri.to_string())
}

/// The PKCE S256 transform: BASE64URL(SHA-256(verifier)).
pub fn s256(verifier: &str) -> String {
    B64URL.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

/// A PKCE verifier or challenge: 43–128 of `[A-Za-z0-9-._~]`.
fn pkce_text(text: &str) -> bool {
    (43..=128).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

const CLIENT_COLUMNS: &str = "c.client_id, c.name, c.redirect_uris, c.id_token_alg, c.created_ms, c.disabled";
const CLIENT_FROM: &str = "oidc_clients c JOIN departments d ON d.id = c.department_id";

/// The event of a change to `client` (a new secret, disabling), described by `verb`.
fn client_changed<'a, K: EventKind>(client: &'a OidcClient, event: &K, verb: (&str, &str)) -> EventDraft<'a> {
    EventDraft::of(
        event,
        &client.client_id,
        Some(&client.department.path),
        msg!(
            "verb2-oidc-client-name",
            verb = verb.0,
            name = client.name,
            verb2 = verb.1
        ),
    )
}

fn client_from_row(r: &Row) -> Result<OidcClient> {
    Ok(OidcClient {
        client_id: r.get("client_id")?,
        name: r.get("name")?,
        department: department::from_row(r, "dept_")?,
        redirect_uris: r
            .get::<String>("redirect_uris")?
            .lines()
            .map(str::to_string)
            .collect(),
        id_token_alg: r.get("id_token_alg")?,
        created: r.get("created_ms")?,
        disabled: r.get("disabled")?,
    })
}

/// The provider: the identity service, the keyring that wraps its signing keys, and the issuer
/// URL (`iss`) relying parties expect.
#[derive(Clone)]
pub struct Oidc {
    identity: Identity,
    keyring: Keyring,
    issuer: String,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// A stored code or token, as looked up by its hash.
struct Stored {
    hash: String,
    kind: String,
    client_id: String,
    account_id: String,
    session_id: String,
    family: String,
    scope: String,
    redirect_uri: String,
    nonce: String,
    challenge: String,
    auth_ms: Millis,
    expires_ms: Millis,
    used_ms: Option<Millis>,
}

impl Oidc {
    /// The provider for `identity`, wrapping keys under `keyring`, answering as `issuer`
    /// (`https://host`, no trailing slash).
    pub fn new(identity: Identity, keyring: Keyring, issuer: &str) -> Oidc {
        Oidc {
            identity,
            keyring,
            issuer: issuer.trim_end_matches('/').to_string(),
        }
    }

    /// The issuer URL.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The discovery document (`/.well-known/openid-configuration`).
    pub fn discovery(&self) -> Value {
        let i = &self.issuer;
        json!({
            "issuer": i,
            "authorization_endpoint": format!("{i}/oidc/authorize"),
            "token_endpoint": format!("{i}/oidc/token"),
            "userinfo_endpoint": format!("{i}/oidc/userinfo"),
            "jwks_uri": format!("{i}/oidc/jwks"),
            "end_session_endpoint": format!("{i}/oidc/logout"),
            "scopes_supported": SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256", "SM2"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "sid", "name", "preferred_username", "department", "department_name", "roles"],
            "prompt_values_supported": ["none", "consent"],
        })
    }

    // ---- clients -------------------------------------------------------------------------

    async fn client(&self, client_id: &str) -> Result<Option<OidcClient>> {
        self.identity
            .db
            .fetch_optional(
                &format!(
                    "SELECT {CLIENT_COLUMNS}, {JOINED_COLUMNS} FROM {CLIENT_FROM} WHERE c.client_id = $1"
                ),
                params![client_id],
            )
            .await?
            .map(|r| client_from_row(&r))
            .transpose()
    }

    /// Registers a system of `dept` (`ManageApiClients` over it) that signs people in, returning
    /// it and its secret, shown this once.
    #[tracing::instrument(skip_all)]
    pub async fn add_client(
        &self,
        actor: &Principal,
        dept: &DeptId,
        name: &str,
        redirect_uris: &[String],
        alg: &str,
    ) -> Result<(OidcClient, String)> {
        let department = self.identity.require_department(dept).await?;
        actor.require(Permission::ManageApiClients, Some(&department.path))?;
        let name = clean_name("name", name, 100)?;
        let mut uris = Vec::new();
        for u in redirect_uris.iter().filter(|u| !u.trim().is_empty()) {
            let u = check_redirect(u)?;
            if !uris.contains(&u) {
                uris.push(u);
            }
        }
        if uris.is_empty() || uris.len() > MAX_REDIRECTS {
            return Err(Error::invalid("redirect_uri", msg!("between-1-10-redirect")));
        }
        let Some(alg) = JwsAlg::parse(alg.trim()) else {
            return Err(Error::invalid(
                "id_token_alg",
                msg!("signing-algorithm-es256-sm2"),
            ));
        };
        let client = OidcClient {
            client_id: format!("tbo_{}", tongban_crypto::token::hex_id::<12>()),
            name,
            department,
            redirect_uris: uris,
            id_token_alg: alg.code().to_string(),
            created: self.identity.now(),
            disabled: false,
        };
        let (secret, _) = new_secret_token();
        let secret_hash = password::hash(&secret).await?;
        let mut tx = self.identity.db.begin_write().await?;
        tx.execute(
            "INSERT INTO oidc_clients (client_id, name, department_id, secret_hash, redirect_uris, \
             id_token_alg, created_ms, disabled) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
            params![
                client.client_id,
                client.name,
                client.department.id.as_str(),
                secret_hash,
                client.redirect_uris.join("\n"),
                client.id_token_alg,
                client.created
            ],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &OidcClientCreated {
                    client_id: client.client_id.clone(),
                    name: client.name.clone(),
                    department: client.department.path.clone(),
                    redirect_uris: client.redirect_uris.clone(),
                    id_token_alg: client.id_token_alg.clone(),
                },
                &client.client_id,
                Some(&client.department.path),
                msg!(
                    "registered-oidc-client-name",
                    name = client.name,
                    client_id = client.client_id
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok((client, secret))
    }

    /// The systems the actor manages (`ManageApiClients` scopes), by client id.
    pub async fn list_clients(&self, actor: &Principal) -> Result<Vec<OidcClient>> {
        let scopes = actor.scopes_for(Permission::ManageApiClients);
        if scopes.is_empty() {
            actor.require(Permission::ManageApiClients, None)?;
        }
        let mut clients = self
            .identity
            .db
            .fetch_all(
                &format!("SELECT {CLIENT_COLUMNS}, {JOINED_COLUMNS} FROM {CLIENT_FROM} ORDER BY c.client_id"),
                params![],
            )
            .await?
            .iter()
            .map(client_from_row)
            .collect::<Result<Vec<_>>>()?;
        clients.retain(|c| scopes.iter().any(|s| s.contains(&c.department.path)));
        Ok(clients)
    }

    async fn managed(&self, actor: &Principal, client_id: &str) -> Result<OidcClient> {
        let client = self
            .client(client_id)
            .await?
            .ok_or(Error::NotFound { what: "api_client" })?;
        if !actor.allows(Permission::ManageApiClients, Some(&client.department.path)) {
            return Err(Error::NotFound { what: "api_client" });
        }
        Ok(client)
    }

    /// A new secret for the client (the old one stops working at once); shown this once.
    pub async fn rotate_client_secret(&self, actor: &Principal, client_id: &str) -> Result<String> {
        let client = self.managed(actor, client_id).await?;
        let (secret, _) = new_secret_token();
        let hash = password::hash(&secret).await?;
        self.change_client(actor, &client, Some(&hash)).await?;
        Ok(secret)
    }

    /// Disables the client: nobody signs in through it, and its tokens end.
    pub async fn disable_client(&self, actor: &Principal, client_id: &str) -> Result<()> {
        let client = self.managed(actor, client_id).await?;
        self.change_client(actor, &client, None).await
    }

    /// Sets a new secret hash, or (`None`) disables the client and ends its tokens.
    async fn change_client(
        &self,
        actor: &Principal,
        client: &OidcClient,
        secret_hash: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.identity.db.begin_write().await?;
        let client_id = client.client_id.clone();
        let event = match secret_hash {
            Some(hash) => {
                tx.execute(
                    "UPDATE oidc_clients SET secret_hash = $1 WHERE client_id = $2",
                    params![hash, client.client_id],
                )
                .await?;
                client_changed(
                    client,
                    &OidcClientRotated { client_id },
                    ("更换密钥：", "rotated the secret of"),
                )
            }
            None => {
                tx.execute(
                    "UPDATE oidc_clients SET disabled = 1 WHERE client_id = $1",
                    params![client.client_id],
                )
                .await?;
                tx.execute(
                    "DELETE FROM oidc_tokens WHERE client_id = $1",
                    params![client.client_id],
                )
                .await?;
                client_changed(client, &OidcClientDisabled { client_id }, ("停用：", "disabled"))
            }
        };
        tx.append_event(actor, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The client if `secret` is its secret and it is enabled.
    async fn authenticate_client(
        &self,
        client_id: &str,
        secret: &str,
    ) -> std::result::Result<OidcClient, TokenError> {
        let invalid = || TokenError::new("invalid_client", "client authentication failed");
        let row = self
            .identity
            .db
            .fetch_optional(
                "SELECT secret_hash FROM oidc_clients WHERE client_id = $1",
                params![client_id.trim()],
            )
            .await
            .map_err(|_| invalid())?;
        let Some(row) = row else {
            let _ = password::verify_nothing(secret).await;
            return Err(invalid());
        };
        let hash: String = row.get("secret_hash").map_err(|_| invalid())?;
        if !password::verify(secret.trim(), &hash).await.unwrap_or(false) {
            return Err(invalid());
        }
        match self.client(client_id.trim()).await {
            Ok(Some(c)) if !c.disabled => Ok(c),
            _ => Err(invalid()),
        }
    }

    // ---- keys ----------------------------------------------------------------------------

    /// The newest active key of `alg`, created on first use.
    async fn signing_key(&self, alg: JwsAlg) -> Result<(String, JwsKey)> {
        let row = self
            .identity
            .db
            .fetch_optional(
                "SELECT kid, private_key FROM oidc_keys WHERE alg = $1 AND retired_ms IS NULL \
                 ORDER BY created_ms DESC, kid DESC LIMIT 1",
                params![alg.code()],
            )
            .await?;
        if let Some(r) = row {
            let kid: String = r.get("kid")?;
            let wrapped: String = r.get("private_key")?;
            let bytes = self
                .keyring
                .unwrap_secret(&format!("oidc/{kid}"), &wrapped)
                .map_err(|e| crate::account::decode_err("private_key", e.to_string()))?;
            let key = JwsKey::from_secret_bytes(alg, &bytes)
                .map_err(|e| crate::account::decode_err("private_key", e.to_string()))?;
            return Ok((kid, key));
        }
        self.new_key(&Principal::system("oidc"), alg, false).await
    }

    async fn new_key(&self, actor: &Principal, alg: JwsAlg, retire_old: bool) -> Result<(String, JwsKey)> {
        let key = JwsKey::generate(alg);
        let kid = format!(
            "{}-{}",
            alg.code().to_lowercase(),
            tongban_crypto::token::hex_id::<8>()
        );
        let secret = key
            .secret_bytes()
            .map_err(|e| crate::account::decode_err("private_key", e.to_string()))?;
        let wrapped = self.keyring.wrap_secret(&format!("oidc/{kid}"), &secret);
        let now = self.identity.now();
        let mut tx = self.identity.db.begin_write().await?;
        let retired = if retire_old {
            tx.execute(
                "UPDATE oidc_keys SET retired_ms = $1 WHERE alg = $2 AND retired_ms IS NULL",
                params![now, alg.code()],
            )
            .await?
        } else {
            0
        };
        tx.execute(
            "INSERT INTO oidc_keys (kid, alg, private_key, public_jwk, created_ms) VALUES ($1, $2, $3, $4, $5)",
            params![kid, alg.code(), wrapped, key.public_jwk(&kid).to_string(), now],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &OidcKeyCreated {
                    kid: kid.clone(),
                    alg: alg.code().into(),
                    retired,
                },
                &kid,
                None,
                msg!("created-oidc-signing-key", alg = alg.code(), kid = kid),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok((kid, key))
    }

    /// Rotates the signing keys of both algorithms (a root-scoped `ManageApiClients` grant, or
    /// the system — the CLI): new tokens are signed with the new keys at once; the old keys stay
    /// in the JWK set for a day so tokens they signed still verify.
    pub async fn rotate_keys(&self, actor: &Principal) -> Result<Vec<String>> {
        actor.require(Permission::ManageApiClients, None)?;
        let mut kids = Vec::new();
        for alg in [JwsAlg::Es256, JwsAlg::Sm2] {
            kids.push(self.new_key(actor, alg, true).await?.0);
        }
        Ok(kids)
    }

    /// The JWK set: active keys and those retired within the last day.
    pub async fn jwks(&self) -> Result<Value> {
        // Make sure both keys exist before anyone fetches the set.
        self.signing_key(JwsAlg::Es256).await?;
        self.signing_key(JwsAlg::Sm2).await?;
        let since = self.identity.now().0 - RETIRED_KEY_KEPT_MS;
        let keys = self
            .identity
            .db
            .fetch_all(
                "SELECT public_jwk FROM oidc_keys WHERE retired_ms IS NULL OR retired_ms > $1 ORDER BY created_ms DESC, kid",
                params![since],
            )
            .await?
            .iter()
            .map(|r| {
                let text: String = r.get("public_jwk")?;
                serde_json::from_str::<Value>(&text).map_err(|e| crate::account::decode_err("public_jwk", e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(json!({ "keys": keys }))
    }

    // ---- authorization -------------------------------------------------------------------

    /// Checks an authorization request: client and redirect URI first (errors shown to the
    /// person), then the rest (errors sent back to the client).
    pub async fn check_request(&self, p: &AuthParams) -> std::result::Result<AuthRequest, AuthError> {
        let client = match self.client(p.client_id.trim()).await {
            Ok(Some(c)) if !c.disabled => c,
            Ok(_) => {
                return Err(AuthError::Shown(msg!("system-asking-not-registered").to_string()));
            }
            Err(e) => return Err(AuthError::Shown(e.to_string())),
        };
        if !client.redirect_uris.iter().any(|u| u == &p.redirect_uri) {
            return Err(AuthError::Shown(msg!("redirect-uri-not-one").to_string()));
        }
        let fail = |error: &'static str, description: &str| AuthError::Redirect {
            redirect_uri: p.redirect_uri.clone(),
            error,
            description: description.to_string(),
            state: p.state.clone(),
        };
        if p.response_type != "code" {
            return Err(fail(
                "unsupported_response_type",
                "only response_type=code is supported",
            ));
        }
        let asked: Vec<&str> = p.scope.split_whitespace().collect();
        if !asked.contains(&"openid") {
            return Err(fail("invalid_scope", "the openid scope is required"));
        }
        let mut scope = vec!["openid".to_string()];
        for s in SCOPES.iter().skip(1) {
            if asked.contains(s) {
                scope.push((*s).to_string());
            }
        }
        if p.code_challenge_method != "S256" || !pkce_text(&p.code_challenge) {
            return Err(fail(
                "invalid_request",
                "PKCE with code_challenge_method=S256 is required",
            ));
        }
        let too_long = |v: &Option<String>| v.as_ref().is_some_and(|v| v.len() > 512);
        if too_long(&p.state) || too_long(&p.nonce) {
            return Err(fail(
                "invalid_request",
                "state and nonce are at most 512 characters",
            ));
        }
        Ok(AuthRequest {
            client,
            redirect_uri: p.redirect_uri.clone(),
            scope,
            state: p.state.clone(),
            nonce: p.nonce.clone().filter(|n| !n.is_empty()),
            challenge: p.code_challenge.clone(),
            prompt: p
                .prompt
                .as_deref()
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        })
    }

    /// Whether `account` already agreed to share `scope` with the client.
    pub async fn has_consent(&self, account: &AccountId, req: &AuthRequest) -> Result<bool> {
        let row = self
            .identity
            .db
            .fetch_optional(
                "SELECT scope FROM oidc_consents WHERE account_id = $1 AND client_id = $2",
                params![account.as_str(), req.client.client_id],
            )
            .await?;
        let Some(row) = row else { return Ok(false) };
        let given: String = row.get("scope")?;
        let given: Vec<&str> = given.split_whitespace().collect();
        Ok(req.scope.iter().all(|s| given.contains(&s.as_str())))
    }

    /// The person signed in as `actor` (session `session`, signed in at `auth_time`) lets the
    /// client in: records consent when `consent` is set, issues a one-minute code bound to the
    /// session, the redirect URI and the PKCE challenge, and returns where to send the browser.
    #[tracing::instrument(skip_all)]
    pub async fn approve(
        &self,
        actor: &Principal,
        session: &SessionId,
        auth_time: Millis,
        req: &AuthRequest,
        consent: bool,
    ) -> Result<String> {
        let (code, hash) = new_secret_token();
        let now = self.identity.now();
        let scope = req.scope.join(" ");
        let mut tx = self.identity.db.begin_write().await?;
        tx.execute("DELETE FROM oidc_tokens WHERE expires_ms < $1", params![now])
            .await?;
        if consent {
            tx.execute(
                "INSERT INTO oidc_consents (account_id, client_id, scope, granted_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (account_id, client_id) DO UPDATE SET scope = excluded.scope, granted_ms = excluded.granted_ms",
                params![actor.id.as_str(), req.client.client_id, scope, now],
            )
            .await?;
        }
        let family = hash.clone();
        tx.execute(
            "INSERT INTO oidc_tokens (token_hash, kind, client_id, account_id, session_id, family, scope, \
             redirect_uri, nonce, challenge, auth_ms, created_ms, expires_ms) \
             VALUES ($1, 'code', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            params![
                hash,
                req.client.client_id,
                actor.id.as_str(),
                session.as_str(),
                family,
                scope,
                req.redirect_uri,
                req.nonce.clone().unwrap_or_default(),
                req.challenge,
                auth_time,
                now,
                Millis(now.0 + CODE_TTL_MS)
            ],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &OidcAuthorized {
                    client_id: req.client.client_id.clone(),
                    scope,
                    consented: consent,
                },
                &req.client.client_id,
                Some(&req.client.department.path),
                msg!("name-signed-name2", name = actor.name, name2 = req.client.name),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(with_query(
            &req.redirect_uri,
            &[("code", &code), ("state", req.state.as_deref().unwrap_or(""))],
        ))
    }

    /// The person refused: where to tell the client.
    pub fn denied(req: &AuthRequest) -> String {
        with_query(
            &req.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "the user did not allow the sign-in"),
                ("state", req.state.as_deref().unwrap_or("")),
            ],
        )
    }

    // ---- tokens --------------------------------------------------------------------------

    async fn stored(&self, token: &str) -> Result<Option<Stored>> {
        let Some(hash) = token_hash(token) else {
            return Ok(None);
        };
        let row = self
            .identity
            .db
            .fetch_optional(
                "SELECT token_hash, kind, client_id, account_id, session_id, family, scope, redirect_uri, \
                 nonce, challenge, auth_ms, expires_ms, used_ms FROM oidc_tokens WHERE token_hash = $1",
                params![hash],
            )
            .await?;
        row.map(|r| {
            Ok(Stored {
                hash: r.get("token_hash")?,
                kind: r.get("kind")?,
                client_id: r.get("client_id")?,
                account_id: r.get("account_id")?,
                session_id: r.get("session_id")?,
                family: r.get("family")?,
                scope: r.get("scope")?,
                redirect_uri: r.get("redirect_uri")?,
                nonce: r.get("nonce")?,
                challenge: r.get("challenge")?,
                auth_ms: r.get("auth_ms")?,
                expires_ms: r.get("expires_ms")?,
                used_ms: r.get("used_ms")?,
            })
        })
        .transpose()
    }

    /// The token endpoint: exchanges a code (with its PKCE verifier) or a refresh token for a
    /// new set. `basic` holds the credentials of an `Authorization: Basic` header, if any.
    pub async fn token(
        &self,
        p: &TokenParams,
        basic: Option<(String, String)>,
    ) -> std::result::Result<TokenSet, TokenError> {
        let (client_id, secret) = match basic {
            Some(pair) => pair,
            None => (p.client_id.clone(), p.client_secret.clone()),
        };
        if client_id.is_empty() || secret.is_empty() {
            return Err(TokenError::new(
                "invalid_client",
                "client credentials are required",
            ));
        }
        let client = self.authenticate_client(&client_id, &secret).await?;
        let storage = |e: Error| TokenError::new("server_error", e.to_string());
        match p.grant_type.as_str() {
            "authorization_code" => {
                let bad = || {
                    TokenError::new(
                        "invalid_grant",
                        "the code is unknown, used, expired or not for this client",
                    )
                };
                let s = self.stored(&p.code).await.map_err(storage)?.ok_or_else(bad)?;
                let now = self.identity.now();
                if s.kind != "code" || s.client_id != client.client_id || s.expires_ms < now {
                    return Err(bad());
                }
                if s.used_ms.is_some() {
                    // A code presented twice: whatever was issued for it ends (RFC 6749 §4.1.2).
                    self.end_family(&s, "code_reused").await.map_err(storage)?;
                    return Err(bad());
                }
                if s.redirect_uri != p.redirect_uri {
                    return Err(TokenError::new(
                        "invalid_grant",
                        "redirect_uri does not match the authorization request",
                    ));
                }
                if !pkce_text(&p.code_verifier) || s256(&p.code_verifier) != s.challenge {
                    return Err(TokenError::new(
                        "invalid_grant",
                        "the PKCE code_verifier does not match",
                    ));
                }
                self.issue(&client, &s, "authorization_code").await
            }
            "refresh_token" => {
                let bad = || {
                    TokenError::new(
                        "invalid_grant",
                        "the refresh token is unknown, used, expired or not for this client",
                    )
                };
                let s = self
                    .stored(&p.refresh_token)
                    .await
                    .map_err(storage)?
                    .ok_or_else(bad)?;
                if s.kind != "refresh"
                    || s.client_id != client.client_id
                    || s.expires_ms < self.identity.now()
                {
                    return Err(bad());
                }
                if s.used_ms.is_some() {
                    // Used before: stolen or replayed. The whole family ends.
                    self.end_family(&s, "refresh_reused").await.map_err(storage)?;
                    return Err(bad());
                }
                self.issue(&client, &s, "refresh_token").await
            }
            "" => Err(TokenError::new("invalid_request", "grant_type is required")),
            _ => Err(TokenError::new(
                "unsupported_grant_type",
                "authorization_code and refresh_token are supported",
            )),
        }
    }

    /// Ends every token of `s`'s family and records why.
    async fn end_family(&self, s: &Stored, why: &str) -> Result<()> {
        let mut tx = self.identity.db.begin_write().await?;
        let ended = tx
            .execute("DELETE FROM oidc_tokens WHERE family = $1", params![s.family])
            .await?;
        tx.append_event(
            &Principal::system("oidc"),
            EventDraft::of(
                &OidcFamilyRevoked {
                    client_id: s.client_id.clone(),
                    account_id: s.account_id.clone(),
                    why: why.into(),
                    revoked: ended,
                },
                &s.client_id,
                None,
                msg!("token-was-used-twice", ended = ended),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks `from` used and issues an access token, a refresh token (same family) and an ID token.
    async fn issue(
        &self,
        client: &OidcClient,
        from: &Stored,
        grant: &str,
    ) -> std::result::Result<TokenSet, TokenError> {
        let storage = |e: Error| TokenError::new("server_error", e.to_string());
        let account = AccountId(from.account_id.clone());
        let view = self.identity.require_view(&account).await.map_err(storage)?;
        if view.status != crate::AccountStatus::Active {
            return Err(TokenError::new(
                "invalid_grant",
                "the account is locked or disabled",
            ));
        }
        let now = self.identity.now();
        let (access, access_hash) = new_secret_token();
        let (refresh, refresh_hash) = new_secret_token();
        let mut tx = self
            .identity
            .db
            .begin_write()
            .await
            .map_err(|e| storage(e.into()))?;
        // Used once: a second exchange finds it used (and ends the family).
        let claimed = tx
            .execute(
                "UPDATE oidc_tokens SET used_ms = $1 WHERE token_hash = $2 AND used_ms IS NULL",
                params![now, from.hash],
            )
            .await
            .map_err(|e| storage(e.into()))?;
        if claimed == 0 {
            return Err(TokenError::new("invalid_grant", "the grant was used meanwhile"));
        }
        for (hash, kind, until) in [
            (&access_hash, "access", Millis(now.0 + ACCESS_TTL_SECS * 1000)),
            (&refresh_hash, "refresh", Millis(now.0 + REFRESH_TTL_MS)),
        ] {
            tx.execute(
                "INSERT INTO oidc_tokens (token_hash, kind, client_id, account_id, session_id, family, scope, \
                 auth_ms, created_ms, expires_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                params![hash, kind, client.client_id, from.account_id, from.session_id, from.family, from.scope, from.auth_ms, now, until],
            )
            .await
            .map_err(|e| storage(e.into()))?;
        }
        tx.append_event(
            &Principal::system("oidc"),
            EventDraft::of(
                &OidcTokensIssued {
                    client_id: client.client_id.clone(),
                    account_id: from.account_id.clone(),
                    grant_type: grant.into(),
                    scope: from.scope.clone(),
                },
                &client.client_id,
                Some(&client.department.path),
                msg!(
                    "issued-tokens-username-name",
                    name = client.name,
                    username = view.username
                ),
            ),
        )
        .await
        .map_err(|e| storage(e.into()))?;
        tx.commit().await.map_err(|e| storage(e.into()))?;

        let alg = JwsAlg::parse(&client.id_token_alg).unwrap_or(JwsAlg::Es256);
        let (kid, key) = self.signing_key(alg).await.map_err(storage)?;
        let mut claims = self.claims(&view, &from.scope);
        let extra = json!({
            "iss": self.issuer,
            "aud": client.client_id,
            "iat": now.0 / 1000,
            "exp": now.0 / 1000 + ACCESS_TTL_SECS,
            "auth_time": from.auth_ms.0 / 1000,
            "sid": from.session_id,
        });
        if let (Some(c), Some(e)) = (claims.as_object_mut(), extra.as_object()) {
            c.extend(e.clone());
            if !from.nonce.is_empty() {
                c.insert("nonce".into(), json!(from.nonce));
            }
        }
        Ok(TokenSet {
            access_token: access,
            token_type: "Bearer",
            expires_in: ACCESS_TTL_SECS,
            refresh_token: refresh,
            id_token: key.sign_compact(&kid, &claims),
            scope: from.scope.clone(),
        })
    }

    /// The claims of `view` the scope lets out: `sub` always; name and login name for
    /// `profile`; department for `department`; roles (with the department they apply in) for
    /// `roles`.
    fn claims(&self, view: &crate::AccountView, scope: &str) -> Value {
        let scopes: Vec<&str> = scope.split_whitespace().collect();
        let mut c = json!({ "sub": view.id.as_str() });
        let Some(m) = c.as_object_mut() else { return c };
        if scopes.contains(&"profile") {
            m.insert("name".into(), json!(view.display_name));
            m.insert("preferred_username".into(), json!(view.username));
        }
        if scopes.contains(&"department")
            && let Some(d) = &view.department
        {
            m.insert("department".into(), json!(d.code));
            m.insert("department_name".into(), json!(d.name_zh));
        }
        if scopes.contains(&"roles") {
            let roles: Vec<Value> = view
                .grants
                .iter()
                .map(|g| {
                    let dept = g
                        .scope
                        .as_str()
                        .trim_end_matches('/')
                        .rsplit('/')
                        .next()
                        .unwrap_or_default();
                    json!({ "role": g.role.code(), "department": dept })
                })
                .collect();
            m.insert("roles".into(), json!(roles));
        }
        c
    }

    /// The userinfo endpoint: the claims of a live access token's holder.
    pub async fn userinfo(&self, access_token: &str) -> Result<Value> {
        let unknown = || Error::Forbidden {
            why: msg!("access-token-invalid-expired"),
        };
        let s = self.stored(access_token).await?.ok_or_else(unknown)?;
        if s.kind != "access" || s.expires_ms < self.identity.now() {
            return Err(unknown());
        }
        match self.client(&s.client_id).await? {
            Some(c) if !c.disabled => {}
            _ => return Err(unknown()),
        }
        let view = self
            .identity
            .require_view(&AccountId(s.account_id.clone()))
            .await?;
        if view.status != crate::AccountStatus::Active {
            return Err(unknown());
        }
        Ok(self.claims(&view, &s.scope))
    }

    // ---- logout --------------------------------------------------------------------------

    /// RP-initiated logout: with an ID token this provider signed as `id_token_hint`, the
    /// session it was issued in ends, the tokens issued in that session end, and the browser
    /// goes to `post_logout_redirect_uri` when it is registered for the token's client. Without
    /// a valid hint nothing ends here (the portal asks the person instead).
    #[tracing::instrument(skip_all)]
    pub async fn logout(
        &self,
        id_token_hint: &str,
        post_logout_redirect_uri: Option<&str>,
        state: Option<&str>,
    ) -> Result<Option<LogoutTarget>> {
        let jwks = self.jwks().await?;
        let Some((_, claims)) = jwks["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|k| verify_compact(k, id_token_hint.trim()))
        else {
            return Ok(None);
        };
        if claims["iss"].as_str() != Some(self.issuer.as_str()) {
            return Ok(None);
        }
        let (Some(client_id), Some(sid), Some(sub)) = (
            claims["aud"].as_str(),
            claims["sid"].as_str(),
            claims["sub"].as_str(),
        ) else {
            return Ok(None);
        };
        let client = self.client(client_id).await?;
        let now = self.identity.now();
        let mut tx = self.identity.db.begin_write().await?;
        let ended = tx
            .execute(
                "DELETE FROM oidc_tokens WHERE session_id = $1 AND account_id = $2",
                params![sid, sub],
            )
            .await?;
        // The portal session the person signed in with ends too.
        tx.execute(
            "UPDATE sessions SET revoked_ms = $1 WHERE id = $2 AND account_id = $3 AND revoked_ms IS NULL",
            params![now, sid, sub],
        )
        .await?;
        tx.append_event(
            &Principal::system("oidc"),
            EventDraft::of(
                &OidcLogout {
                    client_id: client_id.into(),
                    account_id: sub.into(),
                    revoked: ended,
                },
                client_id,
                client.as_ref().map(|c| &c.department.path),
                msg!("system-signed-user-out", ended = ended),
            ),
        )
        .await?;
        tx.commit().await?;
        let redirect = match (client, post_logout_redirect_uri) {
            (Some(c), Some(uri)) if c.redirect_uris.iter().any(|u| u == uri) => {
                Some(with_query(uri, &[("state", state.unwrap_or(""))]))
            }
            _ => None,
        };
        Ok(Some(LogoutTarget { redirect }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_https_or_loopback_without_fragments_or_user_info() {
        assert!(check_redirect("https://gov.example/cb").is_ok());
        assert!(check_redirect("http://127.0.0.1:8080/cb").is_ok());
        assert!(check_redirect("http://localhost/cb").is_ok());
        for bad in [
            "http://gov.example/cb",
            "https://gov.example/cb#x",
            "https://user@gov.example/cb",
            "javascript:alert(1)",
            "https:///cb",
            "http://127.0.0.1.evil.example/cb",
            "https://gov.example/c b",
        ] {
            assert!(check_redirect(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(!pkce_text("short"));
        assert!(pkce_text(&"a".repeat(43)));
        assert!(!pkce_text(&"a".repeat(129)));
    }

    #[test]
    fn query_values_are_encoded_and_empty_ones_left_out() {
        assert_eq!(
            with_query("https://x/cb?a=1", &[("code", "a b&c"), ("state", "")]),
            "https://x/cb?a=1&code=a%20b%26c"
        );
    }
}
