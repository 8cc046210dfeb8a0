//! Resources (数据资源): cataloguing, editing with revisions, publication and retirement, the data
//! versions the pool records, reading and listing within the actor's rights, and the open part of
//! the catalog that anyone may read.

use crate::check;
use crate::entry::check_input;
use crate::error::decode_err;
use crate::events::{ResourceCreated, ResourceFacts, ResourcePublished, ResourceRetired, ResourceUpdated};
use crate::{
    Catalog, Classification, DeptRef, Error, Listing, OpenClass, Resource, ResourceFilter, ResourceId,
    ResourceInput, ResourceRevision, ResourceStatus, Result, SharingClass, SharingTerms, from_json,
    parse_code, parse_date, to_json,
};
use tongban_db::event::With;
use tongban_db::sql::render;
use tongban_db::sql::sea_query::{Alias, Cond, Expr, Order, Query};
use tongban_db::{EventDraft, EventKind, Row, Tx, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Page, Permission, Principal};

/// Resource columns, unqualified.
pub(crate) const COLUMNS: &str = "id, code, name_zh, name_en, provider_id, provider_code, provider_path, \
     provider_name, summary, resource_class, class_category, class_item, class_detail, format, fields, \
     sharing_class, sharing_condition, sharing_basis, open_class, update_cycle, published_on, related, \
     keywords, current_version, status, revision, created_ms, updated_ms";

/// Reads a resource from a row selected with [`COLUMNS`].
pub(crate) fn from_row(r: &Row) -> Result<Resource> {
    let code = |c: &str| -> Result<String> { Ok(r.get::<String>(c)?) };
    let published_on: Option<String> = r.get("published_on")?;
    Ok(Resource {
        id: ResourceId(r.get("id")?),
        code: r.get("code")?,
        name_zh: r.get("name_zh")?,
        name_en: r.get("name_en")?,
        provider: DeptRef {
            id: r.get("provider_id")?,
            path: r.get("provider_path")?,
            name_zh: r.get("provider_name")?,
        },
        summary: r.get("summary")?,
        classification: Classification {
            class: parse_code(
                "resource_class",
                &code("resource_class")?,
                crate::ResourceClass::parse,
            )?,
            category: r.get("class_category")?,
            item: r.get("class_item")?,
            detail: r.get("class_detail")?,
        },
        format: parse_code("format", &code("format")?, crate::ResourceFormat::parse)?,
        fields: from_json("fields", &code("fields")?)?,
        sharing: SharingTerms {
            class: parse_code("sharing_class", &code("sharing_class")?, SharingClass::parse)?,
            condition: r.get("sharing_condition")?,
            legal_basis: r.get("sharing_basis")?,
        },
        open_class: parse_code("open_class", &code("open_class")?, OpenClass::parse)?,
        update_cycle: parse_code("update_cycle", &code("update_cycle")?, crate::UpdateCycle::parse)?,
        published_on: published_on.map(|d| parse_date("published_on", &d)).transpose()?,
        related: from_json("related", &code("related")?)?,
        keywords: from_json("keywords", &code("keywords")?)?,
        current_version: r.get("current_version")?,
        status: parse_code("status", &code("status")?, ResourceStatus::parse)?,
        revision: r.get("revision")?,
        created: r.get("created_ms")?,
        updated: r.get("updated_ms")?,
    })
}

/// Whether `actor` may see `r`: published and retired entries for anyone holding `ReadCatalog`
/// somewhere; drafts only inside the provider's subtree.
fn can_read(actor: &Principal, r: &Resource) -> bool {
    match r.status {
        ResourceStatus::Draft => actor.allows(Permission::ReadCatalog, Some(&r.provider.path)),
        _ => actor.allows_somewhere(Permission::ReadCatalog),
    }
}

fn not_permitted_to_read() -> Error {
    Error::forbidden(msg!("not-permitted-see-resource"))
}

/// The keys of `new` whose values differ from `old` (both JSON objects).
fn changed_keys(old: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    match (old.as_object(), new.as_object()) {
        (Some(o), Some(n)) => n
            .iter()
            .filter(|(k, v)| o.get(k.as_str()) != Some(v))
            .map(|(k, _)| k.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// Stores `r` as a revision made by the event of kind `K`.
async fn insert_revision<K: EventKind>(tx: &mut Tx, r: &Resource, actor: &Principal) -> Result<()> {
    tx.execute(
        "INSERT INTO resource_revisions (resource_id, revision, action, snapshot, actor_id, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        params![
            r.id.as_str(),
            r.revision,
            K::ACTION,
            to_json("snapshot", r)?,
            actor.id,
            r.updated
        ],
    )
    .await?;
    Ok(())
}

fn code_taken() -> Error {
    Error::conflict("code", msg!("resource-code-already-exists"))
}

impl Catalog {
    pub(crate) async fn load_resource(&self, id: &ResourceId) -> Result<Option<Resource>> {
        self.db
            .fetch_optional(
                &format!("SELECT {COLUMNS} FROM resources WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| from_row(&r))
            .transpose()
    }

    pub(crate) async fn require_resource(&self, id: &ResourceId) -> Result<Resource> {
        self.load_resource(id)
            .await?
            .ok_or(Error::NotFound { what: "resource" })
    }

    /// Catalogues a new resource as a draft (`ManageCatalog` over the provider's department).
    #[tracing::instrument(skip_all)]
    pub async fn create_resource(&self, actor: &Principal, input: ResourceInput) -> Result<Resource> {
        let input = check_input(input)?;
        actor.require(Permission::ManageCatalog, Some(&input.provider.path))?;
        let now = self.now();
        let r = Resource {
            id: ResourceId::new(),
            code: input.code,
            name_zh: input.name_zh,
            name_en: input.name_en,
            provider: input.provider,
            summary: input.summary,
            classification: input.classification,
            format: input.format,
            fields: input.fields,
            sharing: input.sharing,
            open_class: input.open_class,
            update_cycle: input.update_cycle,
            published_on: None,
            related: input.related,
            keywords: input.keywords,
            current_version: 0,
            status: ResourceStatus::Draft,
            revision: 1,
            created: now,
            updated: now,
        };

        let mut tx = self.db.begin_write().await?;
        if tx
            .fetch_optional("SELECT id FROM resources WHERE code = $1", params![r.code])
            .await?
            .is_some()
        {
            return Err(code_taken());
        }
        tx.execute(
            &format!(
                "INSERT INTO resources ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                 $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)"
            ),
            params![
                r.id.as_str(),
                r.code,
                r.name_zh,
                r.name_en,
                r.provider.id,
                r.provider.code(),
                r.provider.path,
                r.provider.name_zh,
                r.summary,
                r.classification.class.code(),
                r.classification.category,
                r.classification.item,
                r.classification.detail,
                r.format.code(),
                to_json("fields", &r.fields)?,
                r.sharing.class.code(),
                r.sharing.condition,
                r.sharing.legal_basis,
                r.open_class.code(),
                r.update_cycle.code(),
                None::<String>,
                to_json("related", &r.related)?,
                to_json("keywords", &r.keywords)?,
                r.current_version,
                r.status.code(),
                r.revision,
                r.created,
                r.updated
            ],
        )
        .await
        .map_err(|e| match e {
            tongban_db::Error::Conflict(_) => code_taken(),
            e => e.into(),
        })?;
        insert_revision::<ResourceCreated>(&mut tx, &r, actor).await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &ResourceCreated {
                    code: r.code.clone(),
                    revision: r.revision,
                    provider: r.provider.path.0.clone(),
                    sharing_class: r.sharing.class.code().into(),
                    open_class: r.open_class.code().into(),
                    fields: r.fields.iter().map(|f| f.code.clone()).collect(),
                },
                r.id.as_str(),
                Some(&r.provider.path),
                msg!(
                    "catalogued-resource-r-r3",
                    r = r.code,
                    r2 = r.name_zh,
                    r3 = r.name_en
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        crate::cache::changed();
        Ok(r)
    }

    /// Replaces a draft or published entry with `input` (`ManageCatalog` over the provider, and
    /// over the new provider when it changes). `expected_revision` is the revision the editor
    /// read: a newer one means someone else changed it meanwhile ([`Error::Conflict`] on
    /// `revision`). The code may change only while the resource is a draft without data.
    #[tracing::instrument(skip_all)]
    pub async fn update_resource(
        &self,
        actor: &Principal,
        id: &ResourceId,
        expected_revision: u32,
        input: ResourceInput,
    ) -> Result<Resource> {
        let old = self.require_resource(id).await?;
        actor.require(Permission::ManageCatalog, Some(&old.provider.path))?;
        let input = check_input(input)?;
        actor.require(Permission::ManageCatalog, Some(&input.provider.path))?;
        if old.status == ResourceStatus::Retired {
            return Err(Error::conflict("status", msg!("retired-resource-cannot-edited")));
        }
        if old.revision != expected_revision {
            return Err(stale());
        }
        if input.code != old.code && (old.status != ResourceStatus::Draft || old.current_version > 0) {
            return Err(Error::invalid("code", msg!("code-cannot-change-once")));
        }
        let as_json =
            |i: &ResourceInput| serde_json::to_value(i).map_err(|e| decode_err("snapshot", e.to_string()));
        let changed = changed_keys(&as_json(&old.to_input())?, &as_json(&input)?);
        if changed.is_empty() {
            return Ok(old);
        }
        let r = Resource {
            code: input.code,
            name_zh: input.name_zh,
            name_en: input.name_en,
            provider: input.provider,
            summary: input.summary,
            classification: input.classification,
            format: input.format,
            fields: input.fields,
            sharing: input.sharing,
            open_class: input.open_class,
            update_cycle: input.update_cycle,
            related: input.related,
            keywords: input.keywords,
            revision: old.revision + 1,
            updated: self.now(),
            ..old.clone()
        };

        let mut tx = self.db.begin_write().await?;
        if r.code != old.code
            && tx
                .fetch_optional("SELECT id FROM resources WHERE code = $1", params![r.code])
                .await?
                .is_some()
        {
            return Err(code_taken());
        }
        let n = tx
            .execute(
                "UPDATE resources SET code = $1, name_zh = $2, name_en = $3, provider_id = $4, \
                 provider_code = $5, provider_path = $6, provider_name = $7, summary = $8, \
                 resource_class = $9, class_category = $10, class_item = $11, class_detail = $12, \
                 format = $13, fields = $14, sharing_class = $15, sharing_condition = $16, \
                 sharing_basis = $17, open_class = $18, update_cycle = $19, related = $20, keywords = $21, \
                 revision = $22, updated_ms = $23 WHERE id = $24 AND revision = $25",
                params![
                    r.code,
                    r.name_zh,
                    r.name_en,
                    r.provider.id,
                    r.provider.code(),
                    r.provider.path,
                    r.provider.name_zh,
                    r.summary,
                    r.classification.class.code(),
                    r.classification.category,
                    r.classification.item,
                    r.classification.detail,
                    r.format.code(),
                    to_json("fields", &r.fields)?,
                    r.sharing.class.code(),
                    r.sharing.condition,
                    r.sharing.legal_basis,
                    r.open_class.code(),
                    r.update_cycle.code(),
                    to_json("related", &r.related)?,
                    to_json("keywords", &r.keywords)?,
                    r.revision,
                    r.updated,
                    r.id.as_str(),
                    old.revision
                ],
            )
            .await
            .map_err(|e| match e {
                tongban_db::Error::Conflict(_) => code_taken(),
                e => e.into(),
            })?;
        if n == 0 {
            return Err(stale());
        }
        insert_revision::<ResourceUpdated>(&mut tx, &r, actor).await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &ResourceUpdated {
                    code: r.code.clone(),
                    revision: r.revision,
                    changed,
                },
                r.id.as_str(),
                Some(&r.provider.path),
                msg!("edited-resource-r-revision", r = r.code, revision = r.revision),
            ),
        )
        .await?;
        tx.commit().await?;
        crate::cache::changed();
        Ok(r)
    }

    /// Publishes a draft into the catalog (`ManageCatalog` over the provider); the publication
    /// date is today.
    pub async fn publish_resource(&self, actor: &Principal, id: &ResourceId) -> Result<Resource> {
        let old = self.require_resource(id).await?;
        actor.require(Permission::ManageCatalog, Some(&old.provider.path))?;
        if old.status != ResourceStatus::Draft {
            return Err(Error::conflict(
                "status",
                msg!(
                    "only-draft-can-published",
                    status = old.status.name_zh(),
                    status2 = old.status.code()
                ),
            ));
        }
        let r = Resource {
            status: ResourceStatus::Published,
            published_on: Some(old.published_on.unwrap_or_else(|| self.today())),
            revision: old.revision + 1,
            updated: self.now(),
            ..old.clone()
        };
        self.change_status(actor, &old, &r, ResourcePublished {}, ("发布", "published"))
            .await?;
        Ok(r)
    }

    /// Retires a resource (`ManageCatalog` over the provider): it leaves the catalog and open
    /// data, and its grants stop counting. Retirement is final.
    pub async fn retire_resource(&self, actor: &Principal, id: &ResourceId) -> Result<Resource> {
        let old = self.require_resource(id).await?;
        actor.require(Permission::ManageCatalog, Some(&old.provider.path))?;
        if old.status == ResourceStatus::Retired {
            return Err(Error::conflict("status", msg!("resource-already-retired")));
        }
        let r = Resource {
            status: ResourceStatus::Retired,
            revision: old.revision + 1,
            updated: self.now(),
            ..old.clone()
        };
        self.change_status(actor, &old, &r, ResourceRetired {}, ("下线", "retired"))
            .await?;
        Ok(r)
    }

    /// Saves `r`, the new status of `old`, with its revision and its event of kind `K`.
    async fn change_status<K: EventKind>(
        &self,
        actor: &Principal,
        old: &Resource,
        r: &Resource,
        kind: K,
        verb: (&str, &str),
    ) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let n = tx
            .execute(
                "UPDATE resources SET status = $1, published_on = $2, revision = $3, updated_ms = $4 \
                 WHERE id = $5 AND revision = $6",
                params![
                    r.status.code(),
                    r.published_on.map(|d| d.to_string()),
                    r.revision,
                    r.updated,
                    r.id.as_str(),
                    old.revision
                ],
            )
            .await?;
        if n == 0 {
            return Err(stale());
        }
        insert_revision::<K>(&mut tx, r, actor).await?;
        let facts = ResourceFacts {
            code: r.code.clone(),
            revision: r.revision,
            status: r.status.code().into(),
            published_on: r.published_on.map(|d| d.to_string()),
        };
        tx.append_event(
            actor,
            EventDraft::of(
                &With {
                    about: facts,
                    detail: kind,
                },
                r.id.as_str(),
                Some(&r.provider.path),
                msg!(
                    "verb2-resource-r",
                    verb = verb.0,
                    r = r.code,
                    r2 = r.name_zh,
                    verb2 = verb.1
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        crate::cache::changed();
        Ok(())
    }

    /// One resource, if the actor may see it (`ReadCatalog`; drafts only inside the provider's
    /// subtree).
    pub async fn get_resource(&self, actor: &Principal, id: &ResourceId) -> Result<Resource> {
        let r = self.require_resource(id).await?;
        if !can_read(actor, &r) {
            return Err(not_permitted_to_read());
        }
        Ok(r)
    }

    /// Every published resource that has at least one stored version, by code. This is the
    /// enforcement lookup of the pool's SQL (which then applies each caller's grants); it has no
    /// actor because it decides nothing by itself.
    pub async fn published_with_data(&self) -> Result<Vec<Resource>> {
        self.db
            .fetch_all(
                &format!(
                    "SELECT {COLUMNS} FROM resources WHERE status = $1 AND current_version > 0 ORDER BY code"
                ),
                params![ResourceStatus::Published.code()],
            )
            .await?
            .iter()
            .map(from_row)
            .collect()
    }

    /// The resource with `code` (any case), under the rule of [`Catalog::get_resource`].
    pub async fn resource_by_code(&self, actor: &Principal, code: &str) -> Result<Resource> {
        let code = check::resource_code("code", code).map_err(|_| Error::NotFound { what: "resource" })?;
        let r = self
            .db
            .fetch_optional(
                &format!("SELECT {COLUMNS} FROM resources WHERE code = $1"),
                params![code],
            )
            .await?
            .map(|r| from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "resource" })?;
        if !can_read(actor, &r) {
            return Err(not_permitted_to_read());
        }
        Ok(r)
    }

    /// A page of the resources the actor may see, matching `filter`, by code.
    pub async fn list_resources(
        &self,
        actor: &Principal,
        filter: &ResourceFilter,
        page: Page,
    ) -> Result<Listing<Resource>> {
        if !actor.allows_somewhere(Permission::ReadCatalog) {
            return Err(not_permitted_to_read());
        }
        let scopes = actor.scopes_for(Permission::ReadCatalog);
        let mut cond = Cond::all();
        if !scopes.contains(&DeptPath::root()) {
            let mut visible = Cond::any().add(col("status").ne(ResourceStatus::Draft.code()));
            for s in &scopes {
                visible = visible.add(path_in("provider_path", s));
            }
            cond = cond.add(visible);
        }
        if let Some(p) = &filter.provider {
            cond = cond.add(path_in("provider_path", p));
        }
        if let Some(c) = filter.sharing_class {
            cond = cond.add(col("sharing_class").eq(c.code()));
        }
        if let Some(c) = filter.open_class {
            cond = cond.add(col("open_class").eq(c.code()));
        }
        if let Some(s) = filter.status {
            cond = cond.add(col("status").eq(s.code()));
        }
        if let Some(c) = filter.class {
            cond = cond.add(col("resource_class").eq(c.code()));
        }
        if let Some(t) = filter.text.as_deref() {
            cond = cond.add(text_match(t, &["code", "name_zh", "name_en", "summary"]));
        }
        self.page_of_resources(cond, page).await
    }

    pub(crate) async fn page_of_resources(&self, cond: Cond, page: Page) -> Result<Listing<Resource>> {
        let base = || {
            Query::select()
                .from(Alias::new("resources"))
                .cond_where(cond.clone())
                .to_owned()
        };
        let mut count = base();
        count.expr_as(Expr::cust("COUNT(*)"), Alias::new("n"));
        let (sql, values) = render(self.db.backend(), &count);
        let total: i64 = self.db.fetch_one(&sql, values).await?.get("n")?;
        let mut select = base();
        select
            .expr(Expr::cust(COLUMNS))
            .order_by(Alias::new("code"), Order::Asc)
            .limit(u64::from(page.limit))
            .offset(page.offset);
        let (sql, values) = render(self.db.backend(), &select);
        let items = self
            .db
            .fetch_all(&sql, values)
            .await?
            .iter()
            .map(from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Listing::new(items, total, page))
    }

    /// Every stored revision of an entry, oldest first (same visibility as
    /// [`Catalog::get_resource`]).
    pub async fn resource_history(
        &self,
        actor: &Principal,
        id: &ResourceId,
    ) -> Result<Vec<ResourceRevision>> {
        self.get_resource(actor, id).await?;
        self.db
            .fetch_all(
                "SELECT revision, action, snapshot, actor_id, at_ms FROM resource_revisions \
                 WHERE resource_id = $1 ORDER BY revision",
                params![id.as_str()],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(ResourceRevision {
                    revision: r.get("revision")?,
                    action: r.get("action")?,
                    snapshot: from_json("snapshot", &r.get::<String>("snapshot")?)?,
                    actor_id: r.get("actor_id")?,
                    at: r.get("at_ms")?,
                })
            })
            .collect()
    }
}

fn stale() -> Error {
    Error::conflict("revision", msg!("resource-was-changed-meanwhile"))
}

/// A column, `name` or `table.name`.
/// One page of `table` (aliased `alias`) joined to its resource under `cond`, newest first, with
/// the total count: how grants and requests are listed.
pub(crate) async fn page_joined_to_resource(
    db: &tongban_db::Db,
    (table, alias): (&str, &str),
    columns: &str,
    cond: tongban_db::sql::sea_query::Condition,
    page: Page,
) -> Result<(i64, Vec<tongban_db::Row>)> {
    use tongban_db::sql::sea_query::{Alias, JoinType, Order, Query};
    let base = || {
        Query::select()
            .from_as(Alias::new(table), Alias::new(alias))
            .join_as(
                JoinType::InnerJoin,
                Alias::new("resources"),
                Alias::new("r"),
                col("r.id").equals((Alias::new(alias), Alias::new("resource_id"))),
            )
            .cond_where(cond.clone())
            .to_owned()
    };
    let mut count = base();
    count.expr_as(Expr::cust("COUNT(*)"), Alias::new("n"));
    let (sql, values) = tongban_db::sql::render(db.backend(), &count);
    let total: i64 = db.fetch_one(&sql, values).await?.get("n")?;
    let mut select = base();
    select
        .expr(Expr::cust(columns))
        .order_by((Alias::new(alias), Alias::new("created_ms")), Order::Desc)
        .order_by((Alias::new(alias), Alias::new("id")), Order::Desc)
        .limit(u64::from(page.limit))
        .offset(page.offset);
    let (sql, values) = tongban_db::sql::render(db.backend(), &select);
    let rows = db.fetch_all(&sql, values).await?;
    Ok((total, rows))
}

/// The query pieces every catalogue store module uses.
pub(crate) use tongban_db::sql::{col, path_in, text_match};
