//! Service requests: a submission filed as a public help request with its location,
//! attribute values and reporter, and requests as anyone may read them.

use super::definitions::{AttributeValues, check_attributes};
use super::keys::KEY_PRINCIPAL_PREFIX;
use crate::check::{self, MAX_ADDRESS, MAX_TEXT, MAX_TITLE};
use crate::sql::{col, open_statuses};
use crate::store::{ITEM_COLUMNS, item_from_row};
use crate::{
    Channel, ContactInput, ContactPreference, Error, Interact, Item, ItemId, ItemKind, ItemStatus, ItemView,
    LocationInput, NewItem, Result, from_json, to_json,
};
use jiff::civil::Date;
use serde::Serialize;
use tongban_db::sql::render;
use tongban_db::sql::sea_query::{Alias, Cond, Expr, Order, Query};
use tongban_db::{Row, Tx, params};
use tongban_kernel::msg;
use tongban_kernel::{Millis, Principal, PrincipalKind};
use tongban_text::reply::public_text;

/// The most service requests one page of `GET requests` returns (the GeoReport v2 default
/// volume).
pub const MAX_OPEN311_PAGE: u32 = 1000;

/// The longest span `start_date`..`end_date` may cover (GeoReport v2: 90 days).
const MAX_SPAN_MS: i64 = 90 * 24 * 3_600_000;

/// A service request as `POST requests` carries it (empty strings stand for absent parameters).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Open311Submission {
    /// The service code (a category code).
    pub service_code: String,
    /// WGS84 latitude.
    pub latitude: Option<f64>,
    /// WGS84 longitude.
    pub longitude: Option<f64>,
    /// The address as typed.
    pub address_string: String,
    /// The id in the jurisdiction's address register.
    pub address_id: String,
    /// Attribute values.
    pub attributes: AttributeValues,
    /// The reporter's e-mail address.
    pub email: String,
    /// The reporter's phone.
    pub phone: String,
    /// The reporter's given name.
    pub first_name: String,
    /// The reporter's family name.
    pub last_name: String,
    /// The report, up to 4,000 characters.
    pub description: String,
    /// A link to a photo or other media.
    pub media_url: String,
    /// The reporting device.
    pub device_id: String,
    /// The reporter's account in the reporting app.
    pub account_id: String,
}

/// What an Open311 submission stores beside its item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Open311Record {
    key_name: String,
    address_id: String,
    attributes: AttributeValues,
    media_url: String,
    device_id: String,
    account_id: String,
}

/// Which requests `GET requests` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestQuery {
    /// Service request ids (human numbers); when given, every other filter is ignored.
    pub numbers: Vec<String>,
    /// Service codes (none: all).
    pub service_codes: Vec<String>,
    /// Requested at or after.
    pub from: Millis,
    /// Requested at or before.
    pub to: Millis,
    /// `Some(true)` open only, `Some(false)` closed only, `None` both.
    pub open: Option<bool>,
    /// Page, 1 first.
    pub page: u32,
    /// Requests per page, 1..=[`MAX_OPEN311_PAGE`].
    pub page_size: u32,
}

impl RequestQuery {
    /// The default query of GeoReport v2: the most recent 90 days before `now`.
    pub fn recent(now: Millis) -> Self {
        Self {
            numbers: Vec::new(),
            service_codes: Vec::new(),
            from: now.plus_ms(-MAX_SPAN_MS),
            to: now,
            open: None,
            page: 1,
            page_size: MAX_OPEN311_PAGE,
        }
    }

    /// Sets the date range by the 90-day rule: both bounds may not span more than 90 days; one
    /// bound alone reaches 90 days from it; neither is the 90 days before `now`.
    pub fn with_dates(mut self, start: Option<Millis>, end: Option<Millis>, now: Millis) -> Result<Self> {
        let (from, to) = match (start, end) {
            (Some(s), Some(e)) => {
                if e.0 < s.0 {
                    return Err(Error::invalid("end_date", msg!("end-date-before-start")));
                }
                if e.0 - s.0 > MAX_SPAN_MS {
                    return Err(Error::invalid("end_date", msg!("start-date-end-date")));
                }
                (s, e)
            }
            (Some(s), None) => (s, s.plus_ms(MAX_SPAN_MS)),
            (None, Some(e)) => (e.plus_ms(-MAX_SPAN_MS), e),
            (None, None) => (now.plus_ms(-MAX_SPAN_MS), now),
        };
        self.from = from;
        self.to = to;
        Ok(self)
    }
}

/// One public entry of a request's history (`extensions=true`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceRequestNote {
    /// When.
    pub at: Millis,
    /// What happened (`submitted`, `routed`, `transferred`, `replied`, …).
    pub action: String,
    /// The note, personal data masked.
    pub note: String,
}

/// A service request as Open311 shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceRequest {
    /// The item's id (the token of `tokens/{token}`).
    pub token: ItemId,
    /// The service request id: the item's human number.
    pub number: String,
    /// Our state, kept whole so the Open311 status loses nothing.
    pub state: ItemStatus,
    /// The Open311 status: `open` or `closed`.
    pub status: &'static str,
    /// The mySociety extended status.
    pub extended_status: &'static str,
    /// Why it is in this state: the published reply, or the state's name.
    pub status_notes: String,
    /// The service code.
    pub service_code: String,
    /// The service name.
    pub service_name: String,
    /// The report, personal data masked.
    pub description: String,
    /// The handling department's name.
    pub agency_responsible: String,
    /// What the city promises.
    pub service_notice: String,
    /// When it was filed.
    pub requested: Millis,
    /// When it last changed.
    pub updated: Millis,
    /// The day a reply is due, when the calendar can count it.
    pub expected: Option<Date>,
    /// The address (only for the system that filed it).
    pub address: String,
    /// The address id (only for the system that filed it).
    pub address_id: String,
    /// Latitude (rounded to three decimals for everyone but the system that filed it).
    pub latitude: Option<f64>,
    /// Longitude (likewise rounded).
    pub longitude: Option<f64>,
    /// The media link it came with.
    pub media_url: String,
    /// Attribute values it came with.
    pub attributes: AttributeValues,
    /// The public history, oldest first.
    pub notes: Vec<ServiceRequestNote>,
    /// Whether the viewer's key filed it.
    pub own: bool,
}

impl ItemStatus {
    /// The GeoReport v2 status: `open` while a reply is awaited, `closed` after.
    pub fn open311_status(self) -> &'static str {
        if self.is_open() { "open" } else { "closed" }
    }

    /// The mySociety extended status, one distinct value per state so nothing is lost:
    /// 待分办 `open`, 办理中 `in_progress`, 答复审核中 `action_scheduled`, 已答复 `fixed`,
    /// 已办结 `closed`, 已合并 `duplicate`.
    pub fn open311_extended_status(self) -> &'static str {
        match self {
            ItemStatus::Unassigned => "open",
            ItemStatus::InProgress => "in_progress",
            ItemStatus::InReview => "action_scheduled",
            ItemStatus::Replied => "fixed",
            ItemStatus::Closed => "closed",
            ItemStatus::Merged => "duplicate",
        }
    }
}

/// Stores what an Open311 submission carries beside its item, in the item's transaction.
pub(crate) async fn insert_record(tx: &mut Tx, item: &ItemId, r: &Open311Record) -> Result<()> {
    tx.execute(
        "INSERT INTO interact_open311_requests (o311_item_id, o311_key_name, o311_address_id, \
         o311_attributes, o311_media_url, o311_device_id, o311_account_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![
            item.as_str(),
            r.key_name.clone(),
            r.address_id.clone(),
            to_json("o311_attributes", &r.attributes)?,
            r.media_url.clone(),
            r.device_id.clone(),
            r.account_id.clone()
        ],
    )
    .await?;
    Ok(())
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

impl Interact {
    /// Files a GeoReport v2 service request for the system `actor` (from
    /// [`Interact::open311_caller`]) as a public help request (求助) of the service's category:
    /// a location is required (lat+long, address_string or address_id), attribute values are
    /// checked against the service definition, the reporter's contact is kept encrypted, and the
    /// key's name is recorded as who filed it.
    pub async fn submit_open311(&self, actor: &Principal, sub: Open311Submission) -> Result<ItemView> {
        if actor.kind != PrincipalKind::ApiClient || !actor.id.starts_with(KEY_PRINCIPAL_PREFIX) {
            return Err(Error::forbidden(msg!("valid-open311-api-key")));
        }
        let code = sub.service_code.trim();
        if code.is_empty() {
            return Err(Error::invalid("service_code", msg!("service-code-required")));
        }
        let definition = self.service_definition(code).await.map_err(|e| match e {
            Error::NotFound { .. } => Error::NotFound { what: "service_code" },
            other => other,
        })?;
        let attributes = check_attributes(&definition.attributes, &sub.attributes)?;
        let address = check::optional_line("address_string", &sub.address_string, MAX_ADDRESS)?;
        let address_id = check::optional_line("address_id", &sub.address_id, 100)?;
        if sub.latitude.is_none() && sub.longitude.is_none() && address.is_empty() && address_id.is_empty() {
            return Err(Error::invalid("lat", msg!("location-required")));
        }
        let location = LocationInput {
            address: address.clone(),
            district: String::new(),
            latitude: sub.latitude,
            longitude: sub.longitude,
        };
        check::location(&location).map_err(|inv| {
            let field = match inv.field.as_str() {
                "location.latitude" => "lat",
                "location.longitude" => "long",
                other => other,
            };
            Error::invalid(field, inv.reason)
        })?;
        let description = check::optional_text("description", &sub.description, MAX_TEXT)?;
        let text = if description.is_empty() {
            definition.category.name_zh.clone()
        } else {
            description.clone()
        };
        let first_line = text.lines().next().unwrap_or_default().trim();
        let title: String = if first_line.is_empty() {
            definition.category.name_zh.clone()
        } else {
            first_line.chars().take(MAX_TITLE.min(50)).collect()
        };
        let name = format!("{}{}", sub.last_name.trim(), sub.first_name.trim());
        let email = sub.email.trim().to_string();
        let phone = sub.phone.trim().to_string();
        let preference = if !email.is_empty() {
            ContactPreference::Email
        } else if !phone.is_empty() {
            ContactPreference::Phone
        } else {
            ContactPreference::NoContact
        };
        let media_url = check::optional_line("media_url", &sub.media_url, 2000)?;
        let is_web_link = media_url.starts_with("https://") || media_url.starts_with("http://");
        if !media_url.is_empty() && !is_web_link {
            return Err(Error::invalid("media_url", msg!("media-url-http-s")));
        }
        let record = Open311Record {
            key_name: actor.name.clone(),
            address_id,
            attributes,
            media_url,
            device_id: check::optional_line("device_id", &sub.device_id, 200)?,
            account_id: check::optional_line("account_id", &sub.account_id, 200)?,
        };
        let new = NewItem {
            kind: ItemKind::HelpRequest,
            category: definition.category.code.clone(),
            title,
            text,
            location: Some(location),
            public: true,
            contact: ContactInput {
                preference,
                name,
                phone,
                email,
            },
            channel: Channel::Open311,
            source_key: None,
        };
        self.submit_with(actor, new, Some(&record), Vec::new())
            .await
            .map_err(|e| match e {
                // Name the Open311 parameters rather than the item's fields.
                Error::Invalid(inv) => {
                    let field = match inv.field.as_str() {
                        "contact.email" => "email",
                        "contact.phone" => "phone",
                        "contact.name" => "last_name",
                        "title" | "text" => "description",
                        other => other,
                    };
                    Error::invalid(field, inv.reason)
                }
                other => other,
            })
    }

    /// A page of the service requests `viewer` may read (public ones; with a key, also the ones
    /// that key filed), newest first, with their public history.
    pub async fn open311_requests(
        &self,
        viewer: Option<&Principal>,
        query: &RequestQuery,
    ) -> Result<Vec<ServiceRequest>> {
        let mut cond = Cond::all().add(visible(viewer));
        if query.numbers.is_empty() {
            cond = cond
                .add(col("created_ms").gte(query.from.0))
                .add(col("created_ms").lte(query.to.0));
            if !query.service_codes.is_empty() {
                cond =
                    cond.add(col("category").is_in(query.service_codes.iter().map(|c| c.trim().to_string())));
            }
            match query.open {
                Some(true) => cond = cond.add(col("status").is_in(open_statuses())),
                Some(false) => cond = cond.add(col("status").is_not_in(open_statuses())),
                None => {}
            }
        } else {
            cond = cond.add(col("number").is_in(query.numbers.iter().map(|n| n.trim().to_string())));
        }
        let size = query.page_size.clamp(1, MAX_OPEN311_PAGE);
        let offset = u64::from(query.page.max(1) - 1) * u64::from(size);
        let mut select = Query::select();
        select
            .from(Alias::new("interact_items"))
            .left_join(
                Alias::new("interact_open311_requests"),
                Expr::col(Alias::new("o311_item_id")).equals((Alias::new("interact_items"), Alias::new("id"))),
            )
            .expr(Expr::cust(format!(
                "{ITEM_COLUMNS}, public_reply, o311_key_name, o311_address_id, o311_attributes, o311_media_url"
            )))
            .cond_where(cond)
            .order_by(Alias::new("created_ms"), Order::Desc)
            .order_by(Alias::new("id"), Order::Desc)
            .limit(u64::from(size))
            .offset(offset);
        let (sql, values) = render(self.db.backend(), &select);
        let rows = self.db.fetch_all(&sql, values).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.service_request(viewer, r)?);
        }
        self.attach_notes(&mut out).await?;
        Ok(out)
    }

    /// One service request by its id (human number), when `viewer` may read it.
    pub async fn open311_request(&self, viewer: Option<&Principal>, number: &str) -> Result<ServiceRequest> {
        let mut q = RequestQuery::recent(self.now());
        q.numbers = vec![number.to_string()];
        q.page_size = 1;
        self.open311_requests(viewer, &q)
            .await?
            .pop()
            .ok_or(Error::NotFound { what: "item" })
    }

    /// The service request a token (an item id) stands for, when `viewer` may read it.
    pub async fn open311_token(&self, viewer: Option<&Principal>, token: &str) -> Result<ServiceRequest> {
        let row = self
            .db
            .fetch_optional(
                "SELECT number FROM interact_items WHERE id = $1",
                params![token.trim()],
            )
            .await?
            .ok_or(Error::NotFound { what: "item" })?;
        let number: String = row.get("number")?;
        self.open311_request(viewer, &number).await
    }

    fn service_request(&self, viewer: Option<&Principal>, r: &Row) -> Result<ServiceRequest> {
        let item: Item = item_from_row(r, &self.fields)?;
        let own = match (viewer, &item.submitter) {
            (Some(v), crate::Submitter::Channel { id }) => *id == v.id,
            _ => false,
        };
        let published_reply: Option<String> = r.get("public_reply")?;
        let status_notes = match (&published_reply, item.published) {
            (Some(reply), Some(_)) if !reply.is_empty() => reply.clone(),
            _ => format!("{} / {}", item.status.name_zh(), item.status.name_en()),
        };
        let point = item.location.as_ref().and_then(|l| l.point);
        let attributes: AttributeValues = match r.get::<Option<String>>("o311_attributes")? {
            Some(text) => from_json("o311_attributes", &text)?,
            None => Vec::new(),
        };
        let days = item.clock.statutory_days;
        Ok(ServiceRequest {
            token: item.id.clone(),
            number: item.number.clone(),
            state: item.status,
            status: item.status.open311_status(),
            extended_status: item.status.open311_extended_status(),
            status_notes,
            service_code: item.category.clone(),
            service_name: item.category_name.clone(),
            description: item.public_text.clone(),
            agency_responsible: item
                .department
                .as_ref()
                .map(|d| d.name_zh.clone())
                .unwrap_or_default(),
            service_notice: msg!("reply-within-days-working", days = days).to_string(),
            requested: item.created,
            updated: item.updated,
            expected: item.due_on,
            address: if own {
                item.location
                    .as_ref()
                    .map(|l| l.address.clone())
                    .unwrap_or_default()
            } else {
                String::new()
            },
            address_id: if own {
                r.get::<Option<String>>("o311_address_id")?.unwrap_or_default()
            } else {
                String::new()
            },
            latitude: point.map(|p| if own { p.latitude } else { round3(p.latitude) }),
            longitude: point.map(|p| if own { p.longitude } else { round3(p.longitude) }),
            media_url: r.get::<Option<String>>("o311_media_url")?.unwrap_or_default(),
            attributes,
            notes: Vec::new(),
            own,
        })
    }

    /// Fills each request's public history, masked, in one query.
    async fn attach_notes(&self, requests: &mut [ServiceRequest]) -> Result<()> {
        if requests.is_empty() {
            return Ok(());
        }
        let mut select = Query::select();
        select
            .from(Alias::new("interact_log"))
            .columns([
                Alias::new("item_id"),
                Alias::new("at_ms"),
                Alias::new("action"),
                Alias::new("note"),
            ])
            .and_where(col("is_public").eq(1))
            .and_where(col("item_id").is_in(requests.iter().map(|r| r.token.as_str().to_string())))
            .order_by(Alias::new("at_ms"), Order::Asc)
            .order_by(Alias::new("id"), Order::Asc);
        let (sql, values) = render(self.db.backend(), &select);
        for row in self.db.fetch_all(&sql, values).await? {
            let item: String = row.get("item_id")?;
            if let Some(req) = requests.iter_mut().find(|r| r.token.as_str() == item) {
                let note: String = row.get("note")?;
                req.notes.push(ServiceRequestNote {
                    at: row.get("at_ms")?,
                    action: row.get("action")?,
                    note: public_text(&note, &[]),
                });
            }
        }
        Ok(())
    }
}

/// Public items, and with a key the items it filed.
fn visible(viewer: Option<&Principal>) -> Cond {
    let mut any = Cond::any().add(col("is_public").eq(1));
    if let Some(v) = viewer.filter(|v| v.id.starts_with(KEY_PRINCIPAL_PREFIX)) {
        any = any.add(
            Cond::all()
                .add(col("submitter_kind").eq("channel"))
                .add(col("submitter_id").eq(v.id.as_str())),
        );
    }
    any
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_state_has_its_own_extended_status() {
        let mut seen: Vec<&str> = ItemStatus::ALL
            .iter()
            .map(|s| s.open311_extended_status())
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), ItemStatus::ALL.len());
        assert_eq!(ItemStatus::InReview.open311_status(), "open");
        assert_eq!(ItemStatus::Merged.open311_status(), "closed");
    }

    #[test]
    fn the_date_span_may_not_exceed_ninety_days() {
        let now = Millis(1_000_000_000_000);
        let day = 24 * 3_600_000;
        let q = RequestQuery::recent(now);
        assert!(
            q.clone()
                .with_dates(Some(now.plus_ms(-91 * day)), Some(now), now)
                .is_err()
        );
        assert!(
            q.clone()
                .with_dates(Some(now.plus_ms(-90 * day)), Some(now), now)
                .is_ok()
        );
        assert!(
            q.clone()
                .with_dates(Some(now), Some(now.plus_ms(-1)), now)
                .is_err()
        );
        let one = q.with_dates(Some(now), None, now).unwrap();
        assert_eq!(one.to.0 - one.from.0, 90 * day);
    }
}
