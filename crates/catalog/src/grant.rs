//! Grants (共享授权): per grantee, per resource, per field, with purpose, expiry, an optional row
//! filter and the personal fields allowed in clear text. A grantee holds one live grant per
//! resource (a newer grant replaces the older), revocation takes effect at once, and an expired,
//! revoked or retired grant never counts. [`Catalog::effective_grant`] is what the pool and the
//! exchange API call to enforce field-level access.

use crate::check;
use crate::events::{GrantCreated, GrantRevoked, RowFilterSummary};
use crate::resource::{col, path_in};
use crate::sharing::grantee_from_row;
use crate::{
    Catalog, DeptRef, Error, Grant, GrantFilter, GrantId, GrantTerms, Grantee, Listing, RequestId, Resource,
    ResourceField, ResourceId, ResourceStatus, Result, RowFilter, Sensitivity, SharingClass, SharingRequest,
    from_json, parse_date, to_json,
};
use jiff::civil::Date;
use tongban_db::sql::sea_query::Cond;
use tongban_db::{EventDraft, Row, Tx, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Millis, Page, Permission, Principal};

/// Grant columns (alias `g`) with the resource's code, provider, fields, status and class
/// (alias `r`).
const COLUMNS: &str = "g.id, g.resource_id, g.grantee_kind, g.grantee_id, g.grantee_path, g.fields, \
     g.clear_fields, g.clear_basis, g.purpose, g.uses, g.expires_on, g.row_filter, g.source_request, g.created_by, \
     g.created_ms, g.revoked_ms, g.revoked_by, g.revoke_reason, r.code AS resource_code, r.provider_id, \
     r.provider_path, r.provider_name, r.fields AS resource_fields, r.status AS resource_status, \
     r.sharing_class AS resource_sharing";

const FROM: &str = "grants g JOIN resources r ON r.id = g.resource_id";

/// Most values a row filter may list.
const MAX_FILTER_VALUES: usize = 1000;

fn from_row(r: &Row) -> Result<Grant> {
    let row_filter: Option<String> = r.get("row_filter")?;
    Ok(Grant {
        id: GrantId(r.get("id")?),
        resource_id: ResourceId(r.get("resource_id")?),
        resource_code: r.get("resource_code")?,
        provider: DeptRef {
            id: r.get("provider_id")?,
            path: r.get("provider_path")?,
            name_zh: r.get("provider_name")?,
        },
        grantee: grantee_from_row(r, "grantee")?,
        fields: from_json("fields", &r.get::<String>("fields")?)?,
        clear_fields: from_json("clear_fields", &r.get::<String>("clear_fields")?)?,
        clear_basis: r.get("clear_basis")?,
        purpose: r.get("purpose")?,
        uses: from_json("uses", &r.get::<String>("uses")?)?,
        expires_on: parse_date("expires_on", &r.get::<String>("expires_on")?)?,
        row_filter: row_filter.map(|f| from_json("row_filter", &f)).transpose()?,
        source_request: r.get::<Option<String>>("source_request")?.map(RequestId),
        created_by: r.get("created_by")?,
        created: r.get("created_ms")?,
        revoked: r.get("revoked_ms")?,
        revoked_by: r.get("revoked_by")?,
        revoke_reason: r.get("revoke_reason")?,
    })
}

/// A grant as enforced now: limited to the resource's current fields (clear text only for those
/// still personal), or `None` when it cannot count (resource retired or reclassified not shared,
/// no granted field left, or its row filter names a field that no longer exists — denying is
/// safer than dropping the filter).
fn as_enforced(r: &Row, mut g: Grant) -> Result<Option<Grant>> {
    let status: String = r.get("resource_status")?;
    let sharing: String = r.get("resource_sharing")?;
    if status != ResourceStatus::Published.code() || sharing == SharingClass::NotShared.code() {
        return Ok(None);
    }
    let fields: Vec<ResourceField> = from_json("resource_fields", &r.get::<String>("resource_fields")?)?;
    let has = |code: &str| fields.iter().any(|f| f.code == code);
    if let Some(f) = &g.row_filter
        && !has(&f.field)
    {
        tracing::warn!(grant = %g.id, field = %f.field, "row filter names a field the resource no longer has; grant not applied");
        return Ok(None);
    }
    g.fields.retain(|c| has(c));
    g.clear_fields.retain(|c| {
        fields
            .iter()
            .any(|f| f.code == *c && f.sensitivity == Sensitivity::Personal)
    });
    Ok((!g.fields.is_empty()).then_some(g))
}

/// The grant a decision makes on request `q` with `terms`, checked against the resource.
pub(crate) fn build_grant(
    resource: &Resource,
    q: &SharingRequest,
    terms: &GrantTerms,
    actor: &Principal,
    today: Date,
    now: Millis,
) -> Result<Grant> {
    let fields = match &terms.fields {
        None => q.fields.clone(),
        Some(list) => {
            let list: Vec<String> = check::dedup(list.iter().map(|f| f.trim().to_string()).collect());
            if list.is_empty() {
                return Err(Error::invalid("fields", msg!("grant-least-one-field")));
            }
            if let Some(extra) = list.iter().find(|f| !q.fields.contains(f)) {
                let shown: String = extra.chars().take(64).collect();
                return Err(Error::invalid(
                    "fields",
                    msg!("field-shown-was-not", shown = shown),
                ));
            }
            // Kept in the request's (the resource's) order.
            q.fields.iter().filter(|f| list.contains(f)).cloned().collect()
        }
    };
    let row_filter = match &terms.row_filter {
        None => None,
        Some(f) => {
            let field = f.field.trim().to_string();
            if resource.field(&field).is_none() {
                return Err(Error::invalid("row_filter.field", msg!("row-filter-use-field")));
            }
            if f.values.is_empty() || f.values.len() > MAX_FILTER_VALUES {
                return Err(Error::invalid(
                    "row_filter.values",
                    msg!("row-filter-needs-1", max_filter_values = MAX_FILTER_VALUES),
                ));
            }
            let mut values = Vec::with_capacity(f.values.len());
            for v in &f.values {
                values.push(check::line("row_filter.values", v, 200)?);
            }
            Some(RowFilter {
                field,
                values: check::dedup(values),
            })
        }
    };
    let clear_fields: Vec<String> =
        check::dedup(terms.clear_fields.iter().map(|f| f.trim().to_string()).collect());
    for c in &clear_fields {
        let personal = resource
            .field(c)
            .is_some_and(|f| f.sensitivity == Sensitivity::Personal);
        if !fields.contains(c) || !personal {
            let shown: String = c.chars().take(64).collect();
            return Err(Error::invalid(
                "clear_fields",
                msg!("shown-not-granted-personal", shown = shown),
            ));
        }
    }
    let clear_basis = if clear_fields.is_empty() {
        check::optional_text("clear_basis", &terms.clear_basis, 1000)?
    } else {
        check::text("clear_basis", &terms.clear_basis, 1000)
            .map_err(|_| Error::invalid("clear_basis", msg!("clear-text-personal-data")))?
    };
    let uses: Vec<crate::GrantUse> = if terms.uses.is_empty() {
        crate::DEFAULT_USES.to_vec()
    } else {
        crate::GrantUse::ALL
            .iter()
            .copied()
            .filter(|u| terms.uses.contains(u))
            .collect()
    };
    if !clear_fields.is_empty() && uses.contains(&crate::GrantUse::Query) {
        return Err(Error::invalid("uses", msg!("clear-text-personal-data-2")));
    }
    let expires_on = terms.expires_on.unwrap_or(q.valid_until);
    if expires_on > q.valid_until {
        return Err(Error::invalid(
            "expires_on",
            msg!("grant-cannot-outlast-validity"),
        ));
    }
    if expires_on <= today {
        return Err(Error::invalid("expires_on", msg!("grant-run-past-today")));
    }
    Ok(Grant {
        id: GrantId::new(),
        resource_id: resource.id.clone(),
        resource_code: resource.code.clone(),
        provider: resource.provider.clone(),
        grantee: q.requester.clone(),
        fields,
        clear_fields,
        clear_basis,
        purpose: q.purpose.clone(),
        uses,
        expires_on,
        row_filter,
        source_request: Some(q.id.clone()),
        created_by: actor.id.clone(),
        created: now,
        revoked: None,
        revoked_by: None,
        revoke_reason: None,
    })
}

/// Stores `g` and ends the grantee's earlier live grant on the same resource; returns the ids
/// it replaced (for [`grant_event`]).
pub(crate) async fn insert_grant(tx: &mut Tx, actor: &Principal, g: &Grant) -> Result<Vec<String>> {
    let (column, value) = match &g.grantee {
        Grantee::Department { path, .. } => ("grantee_path", path.as_str().to_string()),
        Grantee::ApiClient { id, .. } => ("grantee_id", id.clone()),
    };
    let earlier: Vec<String> = tx
        .fetch_all(
            &format!(
                "SELECT id FROM grants WHERE resource_id = $1 AND grantee_kind = $2 AND {column} = $3 \
                 AND revoked_ms IS NULL"
            ),
            params![g.resource_id.as_str(), g.grantee.kind_code(), value],
        )
        .await?
        .iter()
        .map(|r| r.get::<String>("id"))
        .collect::<Result<_, _>>()?;
    for id in &earlier {
        tx.execute(
            "UPDATE grants SET revoked_ms = $1, revoked_by = $2, revoke_reason = $3 WHERE id = $4",
            params![
                g.created,
                actor.id,
                msg!("replaced-grant-id", id = g.id.as_str()).to_string(),
                id
            ],
        )
        .await?;
    }
    tx.execute(
        "INSERT INTO grants (id, resource_id, grantee_kind, grantee_id, grantee_path, fields, clear_fields, \
         clear_basis, purpose, uses, expires_on, row_filter, source_request, created_by, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        params![
            g.id.as_str(),
            g.resource_id.as_str(),
            g.grantee.kind_code(),
            g.grantee.id(),
            g.grantee.path(),
            to_json("fields", &g.fields)?,
            to_json("clear_fields", &g.clear_fields)?,
            g.clear_basis,
            g.purpose,
            to_json("uses", &g.uses)?,
            g.expires_on.to_string(),
            g.row_filter
                .as_ref()
                .map(|f| to_json("row_filter", f))
                .transpose()?,
            g.source_request.as_ref().map(|r| r.as_str()),
            g.created_by,
            g.created
        ],
    )
    .await
    .map_err(|e| match e {
        tongban_db::Error::Conflict(_) => Error::conflict("status", msg!("another-grant-was-made")),
        e => e.into(),
    })?;
    Ok(earlier)
}

/// Appends `catalog.grant.created` for `g` (after the transaction's statements).
#[tracing::instrument(skip_all)]
pub(crate) async fn grant_event(
    tx: &mut Tx,
    actor: &Principal,
    g: &Grant,
    replaced: &[String],
) -> Result<()> {
    tx.append_event(
        actor,
        EventDraft::of(
            &GrantCreated {
                resource: g.resource_code.clone(),
                grantee: g.grantee.clone(),
                fields: g.fields.clone(),
                clear_fields: g.clear_fields.clone(),
                purpose: g.purpose.clone(),
                uses: g.uses.clone(),
                expires_on: g.expires_on.to_string(),
                row_filter: g.row_filter.as_ref().map(|f| RowFilterSummary {
                    field: f.field.clone(),
                    values: f.values.len(),
                }),
                request: g.source_request.as_ref().map(|r| r.as_str().to_owned()),
                replaces: replaced.to_vec(),
            },
            g.id.as_str(),
            Some(&g.provider.path),
            msg!(
                "granted-path-resource-resource",
                path = g.grantee.path().as_str(),
                resource_code = g.resource_code,
                fields = g.fields.len(),
                expires_on = g.expires_on
            ),
        ),
    )
    .await?;
    Ok(())
}

impl Catalog {
    /// The grant `grantee` may use on resource `resource_code` on `today`, as enforced now, or
    /// `None`: deny. Revoked, expired and replaced grants never count, nor grants on retired or
    /// not-shared resources. An API client uses its own grant, else its department's. This is the
    /// enforcement lookup of the pool and the exchange API; it has no actor because the grantee
    /// is the caller itself, established by authentication.
    pub async fn effective_grant(
        &self,
        grantee: &Grantee,
        resource_code: &str,
        today: Date,
    ) -> Result<Option<Grant>> {
        let Ok(code) = check::resource_code("resource_code", resource_code) else {
            return Ok(None);
        };
        let grants = self.live_grants(grantee, Some(&code), today).await?;
        Ok(grants.into_iter().next())
    }

    /// Every grant `grantee` may use on `today`, as enforced now, one per resource (an API
    /// client's own grant shadows its department's on the same resource), by resource code.
    pub async fn grants_for(&self, grantee: &Grantee, today: Date) -> Result<Vec<Grant>> {
        let mut grants = self.live_grants(grantee, None, today).await?;
        grants.dedup_by(|a, b| a.resource_id == b.resource_id);
        Ok(grants)
    }

    /// Live grants sorted by resource code, then the client's own before its department's, then
    /// newest first.
    async fn live_grants(&self, grantee: &Grantee, code: Option<&str>, today: Date) -> Result<Vec<Grant>> {
        let client_id = match grantee {
            Grantee::ApiClient { id, .. } => Some(id.as_str()),
            Grantee::Department { .. } => None,
        };
        let mut sql = format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE g.revoked_ms IS NULL AND g.expires_on >= $1 \
             AND ((g.grantee_kind = 'department' AND g.grantee_path = $2) \
             OR (g.grantee_kind = 'api_client' AND g.grantee_id = $3))"
        );
        let mut values = params![today.to_string(), grantee.path(), client_id];
        if let Some(code) = code {
            sql.push_str(" AND r.code = $4");
            values.extend(params![code]);
        }
        let mut found: Vec<(bool, Grant)> = Vec::new();
        for r in self.db.fetch_all(&sql, values).await? {
            let g = from_row(&r)?;
            if let Some(g) = as_enforced(&r, g)? {
                found.push((g.grantee.kind_code() == "api_client", g));
            }
        }
        found.sort_by(|(own_a, a), (own_b, b)| {
            a.resource_code
                .cmp(&b.resource_code)
                .then(own_b.cmp(own_a))
                .then(b.created.cmp(&a.created))
        });
        Ok(found.into_iter().map(|(_, g)| g).collect())
    }

    async fn load_grant(&self, id: &GrantId) -> Result<Grant> {
        self.db
            .fetch_optional(
                &format!("SELECT {COLUMNS} FROM {FROM} WHERE g.id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "grant" })
    }

    /// One grant as recorded, if the actor may see it (`ReadCatalog` over the grantee or the
    /// provider).
    pub async fn get_grant(&self, actor: &Principal, id: &GrantId) -> Result<Grant> {
        let g = self.load_grant(id).await?;
        if !actor.allows(Permission::ReadCatalog, Some(g.grantee.path()))
            && !actor.allows(Permission::ReadCatalog, Some(&g.provider.path))
        {
            return Err(Error::forbidden(msg!("not-permitted-see-grant")));
        }
        Ok(g)
    }

    /// A page of the grants the actor may see (`ReadCatalog` over the grantee or the provider),
    /// newest first, as recorded (revoked and expired ones included unless `effective_on`).
    pub async fn list_grants(
        &self,
        actor: &Principal,
        filter: &GrantFilter,
        page: Page,
    ) -> Result<Listing<Grant>> {
        let scopes = actor.scopes_for(Permission::ReadCatalog);
        if scopes.is_empty() {
            return Err(Error::forbidden(msg!("not-permitted-see-grants")));
        }
        let mut cond = Cond::all();
        if !scopes.contains(&DeptPath::root()) {
            let mut any = Cond::any();
            for s in &scopes {
                any = any
                    .add(path_in("g.grantee_path", s))
                    .add(path_in("r.provider_path", s));
            }
            cond = cond.add(any);
        }
        if let Some(r) = &filter.resource {
            cond = cond.add(col("g.resource_id").eq(r.as_str()));
        }
        if let Some(p) = &filter.grantee {
            cond = cond.add(path_in("g.grantee_path", p));
        }
        if let Some(p) = &filter.provider {
            cond = cond.add(path_in("r.provider_path", p));
        }
        if let Some(d) = filter.effective_on {
            cond = cond
                .add(col("g.revoked_ms").is_null())
                .add(col("g.expires_on").gte(d.to_string()));
        }
        let (total, rows) =
            crate::resource::page_joined_to_resource(&self.db, ("grants", "g"), COLUMNS, cond, page).await?;
        let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        Ok(Listing::new(items, total, page))
    }

    /// Revokes a grant at once, giving reasons (`ManageGrants` over the provider, or the data
    /// authority's `ReviewSharing` over it). From this moment [`Catalog::effective_grant`] no
    /// longer returns it.
    #[tracing::instrument(skip_all)]
    pub async fn revoke_grant(&self, actor: &Principal, id: &GrantId, reason: &str) -> Result<Grant> {
        let g = self.load_grant(id).await?;
        if !actor.allows(Permission::ManageGrants, Some(&g.provider.path))
            && !actor.allows(Permission::ReviewSharing, Some(&g.provider.path))
        {
            return Err(Error::forbidden(msg!("not-permitted-revoke-grant")));
        }
        if g.revoked.is_some() {
            return Err(Error::conflict("status", msg!("grant-already-revoked")));
        }
        let reason = check::text("reason", reason, 1000)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let n = tx
            .execute(
                "UPDATE grants SET revoked_ms = $1, revoked_by = $2, revoke_reason = $3 \
                 WHERE id = $4 AND revoked_ms IS NULL",
                params![now, actor.id, reason, id.as_str()],
            )
            .await?;
        if n == 0 {
            return Err(Error::conflict("status", msg!("grant-already-revoked")));
        }
        tx.append_event(
            actor,
            EventDraft::of(
                &GrantRevoked {
                    resource: g.resource_code.clone(),
                    grantee: g.grantee.clone(),
                    reason: reason.clone(),
                },
                g.id.as_str(),
                Some(&g.provider.path),
                msg!(
                    "revoked-grant-resource-code",
                    path = g.grantee.path().as_str(),
                    resource_code = g.resource_code
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        crate::cache::changed();
        Ok(Grant {
            revoked: Some(now),
            revoked_by: Some(actor.id.clone()),
            revoke_reason: Some(reason),
            ..g
        })
    }
}
