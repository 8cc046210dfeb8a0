//! 出站地址白名单: where the platform may connect on a department's behalf. Webhook callbacks
//! and scheduled pulls go to public addresses; a reserved one (本机、内网、链路本地) only when the
//! security administrator has allowed its range for the department (or a department above
//! it), saying what for. The cloud metadata service is never allowed.
//!
//! [`Pool::destination`] resolves a host, checks every address it resolves to, and returns
//! them so the caller connects to exactly what was checked. A refusal names the kind of address
//! and nothing of what answers there.

use crate::events::{EgressAllowed, EgressRemoved};
use crate::{Error, Pool, Result};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tongban_db::{EventDraft, Row, params};
use tongban_kernel::egress::{self, Cidr};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Invalid, Millis, Permission, Principal};

/// How long resolving a destination's name may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest purpose an allow-list entry keeps.
const MAX_PURPOSE_CHARS: usize = 200;

/// One range on a department's allow-list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EgressRule {
    /// Its id.
    pub id: String,
    /// The department (and its subtree) it applies to.
    pub department: DeptPath,
    /// The range, normalised (`10.20.0.0/16`).
    pub cidr: String,
    /// What it is for (the department's system behind it).
    pub purpose: String,
    /// Who allowed it.
    pub created_by: String,
    /// When.
    pub created_ms: Millis,
}

fn rule_from(r: &Row) -> Result<EgressRule> {
    Ok(EgressRule {
        id: r.get("id")?,
        department: DeptPath(r.get("dept_path")?),
        cidr: r.get("cidr")?,
        purpose: r.get("purpose")?,
        created_by: r.get("created_by")?,
        created_ms: Millis(r.get("created_ms")?),
    })
}

/// The refusal of a destination: which kind of address, never what answers there.
fn refused(kind: egress::Reserved) -> Error {
    let (zh, en) = kind.words();
    Error::Destination {
        reason: msg!("destination-en-not-department", en = en, zh = zh),
    }
}

impl Pool {
    /// Allows the reserved range `cidr` as a destination for `department`'s systems
    /// (`ManageEgress` over it), for `purpose`. Ranges wider than /8 (IPv6 /32) and any range
    /// holding a metadata address are refused.
    #[tracing::instrument(skip_all)]
    pub async fn allow_egress(
        &self,
        actor: &Principal,
        department: &DeptPath,
        cidr: &str,
        purpose: &str,
    ) -> Result<EgressRule> {
        actor.require(Permission::ManageEgress, Some(department))?;
        let range: Cidr = cidr
            .parse()
            .map_err(|e: egress::BadCidr| Invalid::new("cidr", e.0))?;
        egress::allowable(&range).map_err(|e| Invalid::new("cidr", e.0))?;
        let purpose = purpose.trim();
        if purpose.is_empty() {
            return Err(Invalid::new("purpose", msg!("say-what")).into());
        }
        if purpose.chars().count() > MAX_PURPOSE_CHARS {
            return Err(Invalid::new(
                "purpose",
                msg!("most-max-purpose-chars", max_purpose_chars = MAX_PURPOSE_CHARS),
            )
            .into());
        }
        let cidr = range.to_string();
        let id = tongban_kernel::id::new_uuid_v7();
        let now = self.catalog.now();
        let db = self.catalog.db();
        let mut tx = db.begin_write().await?;
        let existing = tx
            .fetch_optional(
                "SELECT id FROM pool_egress_allow WHERE dept_path = $1 AND cidr = $2 AND deleted_ms IS NULL",
                params![department.as_str(), cidr.as_str()],
            )
            .await?;
        if existing.is_some() {
            return Err(Invalid::new("cidr", msg!("range-already-allowed")).into());
        }
        tx.execute(
            "INSERT INTO pool_egress_allow (id, dept_path, cidr, purpose, created_by, created_ms, deleted_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL)",
            params![id.as_str(), department.as_str(), cidr.as_str(), purpose, actor.name.as_str(), now],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &EgressAllowed {
                    cidr: cidr.clone(),
                    purpose: purpose.to_owned(),
                },
                &id,
                Some(department),
                msg!("allowed-destinations-cidr", cidr = cidr),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(EgressRule {
            id,
            department: department.clone(),
            cidr,
            purpose: purpose.to_owned(),
            created_by: actor.name.clone(),
            created_ms: now,
        })
    }

    /// The allow-list entries of the departments the actor may manage them for.
    pub async fn egress_rules(&self, actor: &Principal) -> Result<Vec<EgressRule>> {
        let rows = self
            .catalog
            .db()
            .fetch_all(
                "SELECT id, dept_path, cidr, purpose, created_by, created_ms FROM pool_egress_allow \
                 WHERE deleted_ms IS NULL ORDER BY dept_path, created_ms, id",
                params![],
            )
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            let rule = rule_from(r)?;
            if actor.allows(Permission::ManageEgress, Some(&rule.department)) {
                out.push(rule);
            }
        }
        Ok(out)
    }

    /// Takes entry `id` off the allow-list (`ManageEgress` over its department).
    #[tracing::instrument(skip_all)]
    pub async fn remove_egress(&self, actor: &Principal, id: &str) -> Result<()> {
        let db = self.catalog.db();
        let row = db
            .fetch_optional(
                "SELECT id, dept_path, cidr, purpose, created_by, created_ms FROM pool_egress_allow \
                 WHERE id = $1 AND deleted_ms IS NULL",
                params![id.trim()],
            )
            .await?
            .ok_or(Error::NotFound)?;
        let rule = rule_from(&row)?;
        actor.require(Permission::ManageEgress, Some(&rule.department))?;
        let mut tx = db.begin_write().await?;
        tx.execute(
            "UPDATE pool_egress_allow SET deleted_ms = $1 WHERE id = $2",
            params![self.catalog.now(), rule.id.as_str()],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &EgressRemoved {
                    cidr: rule.cidr.clone(),
                },
                &rule.id,
                Some(&rule.department),
                msg!("removed-destinations-cidr", cidr = rule.cidr),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The ranges allowed for `department`: its own and those of every department above it.
    async fn allowed_for(&self, department: &DeptPath) -> Result<Vec<Cidr>> {
        let rows = self
            .catalog
            .db()
            .fetch_all(
                "SELECT dept_path, cidr FROM pool_egress_allow WHERE deleted_ms IS NULL",
                params![],
            )
            .await?;
        let mut out = Vec::new();
        for r in &rows {
            if DeptPath(r.get("dept_path")?).contains(department)
                && let Ok(c) = r.get::<String>("cidr")?.parse()
            {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Where `host:port` may be reached for `department`: every address the name resolves to
    /// (an address literal is itself), each public or inside an allowed range. One reserved
    /// address refuses the whole name, so a name that mixes them cannot be used to slip in.
    /// Connect to the returned addresses only.
    pub async fn destination(&self, department: &DeptPath, host: &str, port: u16) -> Result<Vec<SocketAddr>> {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let unreachable = || Error::Destination {
            reason: msg!("destination-s-name-does").to_string().into(),
        };
        let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => {
                if host.is_empty() || host.starts_with('/') {
                    return Err(unreachable());
                }
                let lookup = tokio::net::lookup_host((host, port));
                tokio::time::timeout(RESOLVE_TIMEOUT, lookup)
                    .await
                    .map_err(|_| unreachable())?
                    .map_err(|_| unreachable())?
                    .collect()
            }
        };
        if addrs.is_empty() {
            return Err(unreachable());
        }
        let allowed = self.allowed_for(department).await?;
        for a in &addrs {
            egress::permitted(a.ip(), &allowed).map_err(refused)?;
        }
        Ok(addrs)
    }
}
