//! Items (诉求): submission with routing and its clock, reading within the actor's rights (the
//! submitter, the handling department, departments asked to assist, city-wide dispatchers),
//! staff lists with clock filters, the citizen's own list, the timeline, and the contact details
//! in clear for the handling department.

use crate::check::{self, MAX_TEXT, MAX_TITLE};
use crate::events::{ContactRead, ItemSubmitted};
use crate::sql::{col, open_statuses, path_in, text_match};
use crate::store::{
    Counter, ITEM_COLUMNS, LogDraft, Sealed, bump, insert_item, item_event, item_from_row, log, next_number,
    notify,
};
use crate::{
    Access, Assist, AssistId, AssistStatus, Contact, ContactInput, DeptRef, Error, Interact, Item,
    ItemFilter, ItemId, ItemKind, ItemStatus, ItemView, Listing, LogEntry, NewItem, Result, Submitter,
    parse_code,
};
use jiff::civil::Date;
use tongban_db::sql::render;
use tongban_db::sql::sea_query::{Alias, Cond, Expr, Order, Query};
use tongban_db::{Row, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, LegalClock, Page, Permission, Principal, PrincipalKind, Role};

/// Field names under which contact details are encrypted and blind-indexed.
pub(crate) mod fields {
    pub const NAME: &str = "interact.contact_name";
    pub const PHONE: &str = "interact.contact_phone";
    pub const EMAIL: &str = "interact.contact_email";
    pub const SOURCE: &str = "interact.anonymous_source";
}

/// Who submits: a signed-in citizen or business, nobody (suggestions only), or a department
/// system or the platform acting for someone. Staff accounts file nothing in their own name.
fn submitter_of(actor: &Principal, kind: ItemKind) -> Result<Submitter> {
    match actor.kind {
        PrincipalKind::User if actor.has_role(Role::Citizen) || actor.has_role(Role::Business) => {
            Ok(Submitter::Citizen { id: actor.id.clone() })
        }
        PrincipalKind::User => Err(Error::forbidden(msg!("staff-accounts-cannot-submit"))),
        PrincipalKind::Anonymous if kind == ItemKind::Suggestion => Ok(Submitter::Anonymous),
        PrincipalKind::Anonymous => Err(Error::forbidden(msg!("without-signing-only-suggestions"))),
        PrincipalKind::ApiClient | PrincipalKind::System => Ok(Submitter::Channel { id: actor.id.clone() }),
    }
}

/// The items staff may see: those of departments where `actor` holds `HandleInteractions`, and
/// those such departments were asked to assist with; everything for a city-wide grant.
pub(crate) fn visible_to_staff(actor: &Principal) -> Result<Cond> {
    let scopes = actor.scopes_for(Permission::HandleInteractions);
    if scopes.is_empty() {
        return Err(Error::forbidden(msg!("not-permitted-see-items")));
    }
    if scopes.contains(&DeptPath::root()) {
        return Ok(Cond::all());
    }
    let mut mine = Cond::any();
    let mut assisting = Cond::any();
    for s in &scopes {
        mine = mine.add(path_in("dept_path", s));
        assisting = assisting.add(path_in("dept_path", s));
    }
    let sub = Query::select()
        .column(Alias::new("item_id"))
        .from(Alias::new("interact_assists"))
        .cond_where(assisting)
        .to_owned();
    Ok(Cond::all().add(Cond::any().add(mine).add(col("id").in_subquery(sub))))
}

impl Interact {
    /// Files an item. A signed-in citizen or business files in their own name; anyone may file
    /// a suggestion anonymously, at most [`crate::Settings::anonymous_per_hour`] per source key
    /// an hour; a department system or the platform files for someone (Open311, hotline). The
    /// category must exist; the routing rules pick the department (or it waits for dispatch);
    /// the clock starts today with the limit of its kind and category. Contact details are
    /// stored encrypted; the title and text the public board may show are redacted now.
    pub async fn submit(&self, actor: &Principal, new: NewItem) -> Result<ItemView> {
        self.submit_with(actor, new, None, Vec::new()).await
    }

    /// [`Interact::submit`] with up to [`crate::MAX_ATTACHMENTS`] files (PDF, PNG, JPEG by
    /// content, each at most [`crate::MAX_ATTACHMENT_BYTES`]); images lose their metadata
    /// before they are stored, encrypted, with the item. A bad file is refused naming
    /// `attachments` and nothing is stored.
    pub async fn submit_with_attachments(
        &self,
        actor: &Principal,
        new: NewItem,
        files: Vec<crate::Upload>,
    ) -> Result<ItemView> {
        self.submit_with(actor, new, None, files).await
    }

    /// [`Interact::submit`], also recording what an Open311 submission carries beyond the item
    /// and the attachments in the same transaction.
    #[tracing::instrument(skip_all)]
    pub(crate) async fn submit_with(
        &self,
        actor: &Principal,
        new: NewItem,
        open311: Option<&crate::open311::Open311Record>,
        files: Vec<crate::Upload>,
    ) -> Result<ItemView> {
        let submitter = submitter_of(actor, new.kind)?;
        let title = check::line("title", &new.title, MAX_TITLE)?;
        let text = check::text("text", &new.text, MAX_TEXT)?;
        let location = match &new.location {
            Some(l) => check::location(l)?,
            None => None,
        };
        let contact = check::contact(&new.contact)?;
        let source_hash = if submitter == Submitter::Anonymous {
            let key = new.source_key.as_deref().map(str::trim).unwrap_or_default();
            if key.is_empty() || key.chars().count() > 256 {
                return Err(Error::invalid(
                    "source_key",
                    msg!("anonymous-submission-needs-source"),
                ));
            }
            Some(self.fields.blind_index(fields::SOURCE, key))
        } else {
            None
        };
        let category = self.active_category("category", &new.category).await?;
        let district = location.as_ref().map(|l| l.district.as_str()).unwrap_or_default();
        let department = self.route(&category.code, district).await?;
        let days = self.time_limit(new.kind, &category.code).await?;

        let now = self.now();
        let today = self.today();
        let clock = LegalClock::new(today, days, None);
        let (warn_on, due_on) = self.clock_days(&clock);
        let known: Vec<&str> = [contact.name.as_str()]
            .into_iter()
            .filter(|n| !n.is_empty())
            .collect();
        let mut item = Item {
            id: ItemId::new(),
            number: String::new(),
            kind: new.kind,
            category: category.code.clone(),
            category_name: category.name_zh.clone(),
            public_title: self.public_version(&title, &known),
            public_text: self.public_version(&text, &known),
            title,
            text,
            location,
            public: new.public,
            contact: self.masked_contact(&contact),
            submitter,
            channel: new.channel,
            status: if department.is_some() {
                ItemStatus::InProgress
            } else {
                ItemStatus::Unassigned
            },
            department,
            round: 0,
            clock,
            warn_on,
            due_on,
            transfers: 0,
            merged_into: None,
            rating: None,
            replied: None,
            published: None,
            created: now,
            updated: now,
            version: 1,
        };
        let sealed = self.seal(&contact, source_hash, &item.text);
        let attachments = self.prepare_attachments(files, now)?;
        let attachment_count = attachments.len();

        let mut tx = self.db.begin_write().await?;
        if let Some(hash) = &sealed.source_hash {
            // The source's row is locked until commit, so concurrent submissions from one
            // source are counted one after the other.
            tx.execute(
                "INSERT INTO interact_anonymous_sources (source_hash, last_ms) VALUES ($1, $2) \
                 ON CONFLICT (source_hash) DO UPDATE SET last_ms = excluded.last_ms",
                params![hash.clone(), now],
            )
            .await?;
            let recent: i64 = tx
                .fetch_one(
                    "SELECT COUNT(*) AS n FROM interact_items WHERE source_hash = $1 \
                     AND submitter_kind = 'anonymous' AND created_ms > $2",
                    params![hash.clone(), now.plus_ms(-3_600_000)],
                )
                .await?
                .get("n")?;
            if recent >= i64::from(self.settings.anonymous_per_hour) {
                return Err(Error::RateLimited {
                    why: msg!("too-many-anonymous-submissions"),
                });
            }
        }
        item.number = next_number(&mut tx, today).await?;
        insert_item(&mut tx, &item, &sealed, &self.fields).await?;
        if let Some(record) = open311 {
            crate::open311::insert_record(&mut tx, &item.id, record).await?;
        }
        crate::attachment::insert(&mut tx, &item.id, attachments).await?;
        log(
            &mut tx,
            &item.id,
            actor,
            now,
            LogDraft {
                action: "submitted",
                department: None,
                note: "",
                public: true,
            },
        )
        .await?;
        let (zh, en) = match &item.department {
            Some(d) => {
                log(
                    &mut tx,
                    &item.id,
                    actor,
                    now,
                    LogDraft {
                        action: "routed",
                        department: Some(&d.path),
                        note: &d.name_zh,
                        public: true,
                    },
                )
                .await?;
                bump(&mut tx, d, &[(Counter::Received, 1)], now).await?;
                (
                    format!("已受理，由{}办理", d.name_zh),
                    format!("was received and sent to {}", d.name_zh),
                )
            }
            None => (
                "已受理，正在分办".to_string(),
                "was received and awaits dispatch".to_string(),
            ),
        };
        notify(&mut tx, &item, "submitted", &zh, &en, now).await?;
        item_event(
            &mut tx,
            actor,
            ItemSubmitted {
                kind: item.kind.code().into(),
                category: item.category.clone(),
                channel: item.channel.code().into(),
                public: item.public,
                submitter: item.submitter.kind_code().into(),
                attachments: attachment_count,
                limit_days: item.clock.statutory_days,
                due_on: item.due_on.map(|d| d.to_string()),
            },
            &item,
            ("提交诉求", "item submitted"),
        )
        .await?;
        tx.commit().await?;
        Ok(self.view(item))
    }

    /// Encrypts the contact details and computes the row's lookup keys.
    fn seal(&self, c: &ContactInput, source_hash: Option<String>, text: &str) -> Sealed {
        let enc = |field: &str, v: &str| (!v.is_empty()).then(|| self.fields.encrypt(field, v));
        Sealed {
            name: enc(fields::NAME, &c.name),
            phone: enc(fields::PHONE, &c.phone),
            email: enc(fields::EMAIL, &c.email),
            phone_index: (!c.phone.is_empty()).then(|| self.fields.blind_index(fields::PHONE, &c.phone)),
            source_hash,
            text_hash: i64::from_ne_bytes(crate::simhash(text).to_ne_bytes()),
        }
    }

    /// An item with its clock read today.
    pub(crate) fn view(&self, item: Item) -> ItemView {
        let deadline = self.read_clock(&item.clock);
        let due_provisional = self.provisional(&item.clock, item.due_on);
        ItemView {
            item,
            deadline,
            due_provisional,
        }
    }

    /// The item `id`, unchecked.
    pub(crate) async fn load_item(&self, id: &ItemId) -> Result<Item> {
        self.db
            .fetch_optional(
                &format!("SELECT {ITEM_COLUMNS} FROM interact_items WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| item_from_row(&r, &self.fields))
            .transpose()?
            .ok_or(Error::NotFound { what: "item" })
    }

    /// The departments asked to assist with `id`.
    async fn assist_paths(&self, id: &ItemId) -> Result<Vec<DeptPath>> {
        self.db
            .fetch_all(
                "SELECT dept_path FROM interact_assists WHERE item_id = $1",
                params![id.as_str()],
            )
            .await?
            .iter()
            .map(|r| Ok(r.get("dept_path")?))
            .collect()
    }

    /// How `actor` may see `item`, or `Forbidden`: the submitter; staff holding
    /// `HandleInteractions` over its department (over the whole tree while it awaits dispatch)
    /// or over a department asked to assist.
    pub(crate) async fn access(&self, actor: &Principal, item: &Item) -> Result<Access> {
        if actor.kind == PrincipalKind::User && item.submitter.citizen() == Some(actor.id.as_str()) {
            return Ok(Access::Submitter);
        }
        if actor.allows(Permission::HandleInteractions, item.dept_path()) {
            return Ok(Access::Staff);
        }
        if actor.allows_somewhere(Permission::HandleInteractions) {
            let assists = self.assist_paths(&item.id).await?;
            if assists
                .iter()
                .any(|p| actor.allows(Permission::HandleInteractions, Some(p)))
            {
                return Ok(Access::Staff);
            }
        }
        Err(Error::forbidden(msg!("not-permitted-see-item")))
    }

    /// Refuses unless `actor` handles items of the item's current department (the whole tree
    /// while it awaits dispatch).
    pub(crate) fn require_handler(actor: &Principal, item: &Item) -> Result<()> {
        if actor.allows(Permission::HandleInteractions, item.dept_path()) {
            Ok(())
        } else {
            Err(Error::forbidden(msg!("only-handling-department-may")))
        }
    }

    /// One item with its clock, for its submitter or staff who may see it.
    pub async fn get_item(&self, actor: &Principal, id: &ItemId) -> Result<ItemView> {
        let item = self.load_item(id).await?;
        self.access(actor, &item).await?;
        Ok(self.view(item))
    }

    /// A page of the items `actor` handles (`HandleInteractions`: its departments' items, items
    /// its departments were asked to assist with, and with a city-wide grant everything), newest
    /// first, each with its clock read today.
    pub async fn list_items(
        &self,
        actor: &Principal,
        filter: &ItemFilter,
        page: Page,
    ) -> Result<Listing<ItemView>> {
        let mut cond = visible_to_staff(actor)?;
        if let Some(s) = filter.status {
            cond = cond.add(col("status").eq(s.code()));
        }
        if let Some(k) = filter.kind {
            cond = cond.add(col("kind").eq(k.code()));
        }
        if let Some(c) = &filter.category {
            cond = cond.add(col("category").eq(c.trim()));
        }
        if let Some(p) = &filter.department {
            cond = cond.add(path_in("dept_path", p));
        }
        if let Some(c) = filter.clock {
            let today = self.today();
            let last = self.last_working_day(today).to_string();
            cond = cond.add(col("status").is_in(open_statuses()));
            cond = match c {
                crate::ClockFilter::Overdue => cond.add(col("due_on").lt(last)),
                crate::ClockFilter::DueSoon => cond
                    .add(col("warn_on").lte(today.to_string()))
                    .add(col("due_on").gte(last)),
            };
        }
        if let Some(t) = filter.text.as_deref() {
            cond = cond.add(text_match(t, &["number", "public_title", "public_body"]));
        }
        let (total, rows) = self.page_of_items(cond, page).await?;
        let items = rows
            .iter()
            .map(|r| item_from_row(r, &self.fields).map(|i| self.view(i)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Listing::new(items, total, page))
    }

    /// The items `actor` submitted, newest first.
    pub async fn my_items(&self, actor: &Principal, page: Page) -> Result<Listing<ItemView>> {
        if actor.kind != PrincipalKind::User {
            return Err(Error::forbidden(msg!("please-sign")));
        }
        let cond = Cond::all()
            .add(col("submitter_kind").eq("citizen"))
            .add(col("submitter_id").eq(actor.id.as_str()));
        let (total, rows) = self.page_of_items(cond, page).await?;
        let items = rows
            .iter()
            .map(|r| item_from_row(r, &self.fields).map(|i| self.view(i)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Listing::new(items, total, page))
    }

    /// One page of items under `cond`, newest first, with the total count.
    pub(crate) async fn page_of_items(&self, cond: Cond, page: Page) -> Result<(i64, Vec<Row>)> {
        let base = || {
            Query::select()
                .from(Alias::new("interact_items"))
                .cond_where(cond.clone())
                .to_owned()
        };
        let mut count = base();
        count.expr_as(Expr::cust("COUNT(*)"), Alias::new("n"));
        let (sql, values) = render(self.db.backend(), &count);
        let total: i64 = self.db.fetch_one(&sql, values).await?.get("n")?;
        let mut select = base();
        select
            .expr(Expr::cust(ITEM_COLUMNS))
            .order_by(Alias::new("created_ms"), Order::Desc)
            .order_by(Alias::new("id"), Order::Desc)
            .limit(u64::from(page.limit))
            .offset(page.offset);
        let (sql, values) = render(self.db.backend(), &select);
        Ok((total, self.db.fetch_all(&sql, values).await?))
    }

    /// The latest working day on or before `day` (itself when it is one); `day` when the
    /// calendar does not know the year.
    pub(crate) fn last_working_day(&self, day: Date) -> Date {
        let mut d = day;
        for _ in 0..31 {
            match self.calendar.is_working_day(d) {
                Ok(true) => return d,
                Ok(false) => match d.yesterday() {
                    Ok(y) => d = y,
                    Err(_) => return day,
                },
                Err(_) => return day,
            }
        }
        day
    }

    /// The item's timeline, oldest first. Staff see every entry with who acted; the submitter
    /// sees the public entries without staff names.
    pub async fn history(&self, actor: &Principal, id: &ItemId) -> Result<Vec<LogEntry>> {
        let item = self.load_item(id).await?;
        let access = self.access(actor, &item).await?;
        let entries = self
            .db
            .fetch_all(
                "SELECT at_ms, action, actor_name, dept_path, note, is_public FROM interact_log \
                 WHERE item_id = $1 ORDER BY at_ms, id",
                params![id.as_str()],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(LogEntry {
                    at: r.get("at_ms")?,
                    action: r.get("action")?,
                    actor_name: r.get("actor_name")?,
                    department: r.get("dept_path")?,
                    note: r.get("note")?,
                    public: r.get("is_public")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(match access {
            Access::Staff => entries,
            Access::Submitter => entries
                .into_iter()
                .filter(|e| e.public)
                .map(|e| LogEntry {
                    actor_name: String::new(),
                    ..e
                })
                .collect(),
        })
    }

    /// The requests for assistance on an item, oldest first (staff who may see the item).
    pub async fn assists(&self, actor: &Principal, id: &ItemId) -> Result<Vec<Assist>> {
        let item = self.load_item(id).await?;
        if self.access(actor, &item).await? != Access::Staff {
            return Err(Error::forbidden(msg!("not-permitted-see-assistance")));
        }
        self.db
            .fetch_all(
                &format!("SELECT {ASSIST_COLUMNS} FROM interact_assists WHERE item_id = $1 ORDER BY requested_ms, id"),
                params![id.as_str()],
            )
            .await?
            .iter()
            .map(assist_from_row)
            .collect()
    }

    /// The submitter's contact details in clear, for the handling department only
    /// (`HandleInteractions` over it). Every reading is recorded as an event.
    #[tracing::instrument(skip_all)]
    pub async fn contact_of(&self, actor: &Principal, id: &ItemId) -> Result<Contact> {
        let item = self.load_item(id).await?;
        Self::require_handler(actor, &item)?;
        let row = self
            .db
            .fetch_one(
                "SELECT contact_pref, contact_name, contact_phone, contact_email FROM interact_items WHERE id = $1",
                params![id.as_str()],
            )
            .await?;
        let open = |column: &str, field: &str| -> Result<String> {
            match row.get::<Option<String>>(column)? {
                Some(v) => Ok(self.fields.decrypt(field, &v)?),
                None => Ok(String::new()),
            }
        };
        let contact = Contact {
            preference: parse_code(
                "contact_pref",
                &row.get::<String>("contact_pref")?,
                crate::ContactPreference::parse,
            )?,
            name: open("contact_name", fields::NAME)?,
            phone: open("contact_phone", fields::PHONE)?,
            email: open("contact_email", fields::EMAIL)?,
        };
        let mut tx = self.db.begin_write().await?;
        item_event(
            &mut tx,
            actor,
            ContactRead {},
            &item,
            ("查看诉求人联系方式", "read the submitter's contact details"),
        )
        .await?;
        tx.commit().await?;
        Ok(contact)
    }
}

/// Assist columns, unqualified.
pub(crate) const ASSIST_COLUMNS: &str = "id, item_id, dept_id, dept_path, dept_name, note, requested_by, requested_ms, \
     status, answer, answered_by, answered_ms";

pub(crate) fn assist_from_row(r: &Row) -> Result<Assist> {
    Ok(Assist {
        id: AssistId(r.get("id")?),
        item_id: ItemId(r.get("item_id")?),
        department: DeptRef {
            id: r.get("dept_id")?,
            path: r.get("dept_path")?,
            name_zh: r.get("dept_name")?,
        },
        note: r.get("note")?,
        requested_by: r.get("requested_by")?,
        requested: r.get("requested_ms")?,
        status: parse_code("status", &r.get::<String>("status")?, AssistStatus::parse)?,
        answer: r.get("answer")?,
        answered_by: r.get("answered_by")?,
        answered: r.get("answered_ms")?,
    })
}
