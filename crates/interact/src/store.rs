//! Items as rows, and the writes every operation shares: inserting and saving an item guarded by
//! its version, the timeline, the citizen's notification, the department counters, the human
//! number, and the event.

use crate::events::ItemFacts;
use crate::{
    Channel, DeptRef, Error, GeoPoint, Interact, Item, ItemId, ItemKind, ItemStatus, Location, MaskedContact,
    Rating, Result, Satisfaction, Submitter, from_json, parse_code, parse_date, to_json,
};
use jiff::civil::Date;
use tongban_crypto::FieldCipher;
use tongban_db::event::{EventKind, With};
use tongban_db::{EventDraft, Row, Tx, Value, params};
use tongban_kernel::msg;
use tongban_kernel::{ClockReading, DeptPath, LegalClock, Millis, Principal};

/// Item columns, unqualified.
pub(crate) const ITEM_COLUMNS: &str = "id, number, kind, category, category_name, title, body, public_title, \
     public_body, address, district, latitude, longitude, is_public, contact_masked, submitter_kind, \
     submitter_id, channel, dept_id, dept_path, dept_name, status, round, clock_started, limit_days, \
     warn_on, due_on, clock_finished, transfers, merged_into, satisfaction, rating_comment, rated_ms, \
     replied_ms, published_ms, created_ms, updated_ms, version";

fn optional_date(r: &Row, column: &str) -> Result<Option<Date>> {
    r.get::<Option<String>>(column)?
        .map(|d| parse_date(column, &d))
        .transpose()
        .map_err(Into::into)
}

/// The fields an item's own title and text are encrypted under: a citizen's words may name
/// people, so they are stored sealed like contact details; the public board reads the redacted
/// copies beside them.
pub(crate) const TITLE_FIELD: &str = "interact_items.title";
pub(crate) const BODY_FIELD: &str = "interact_items.body";

/// A stored title or text in clear: opened when sealed, as stored when written before sealing.
fn open_text(cipher: &FieldCipher, field: &str, stored: String) -> Result<String> {
    if FieldCipher::key_id_of(&stored).is_none() {
        return Ok(stored);
    }
    cipher
        .decrypt(field, &stored)
        .map_err(|_| crate::error::decode_err(field, "cannot be decrypted"))
}

/// Reads an item from a row selected with [`ITEM_COLUMNS`], opening its sealed title and text.
pub(crate) fn item_from_row(r: &Row, cipher: &FieldCipher) -> Result<Item> {
    let address: String = r.get("address")?;
    let district: String = r.get("district")?;
    let point = match (
        r.get::<Option<f64>>("latitude")?,
        r.get::<Option<f64>>("longitude")?,
    ) {
        (Some(latitude), Some(longitude)) => Some(GeoPoint { latitude, longitude }),
        _ => None,
    };
    let location = (!address.is_empty() || !district.is_empty() || point.is_some()).then_some(Location {
        address,
        district,
        point,
    });
    let submitter_id: String = r.get("submitter_id")?;
    let submitter = match r.get::<String>("submitter_kind")?.as_str() {
        "citizen" => Submitter::Citizen { id: submitter_id },
        "anonymous" => Submitter::Anonymous,
        "channel" => Submitter::Channel { id: submitter_id },
        other => {
            return Err(crate::error::decode_err(
                "submitter_kind",
                format!("unknown kind `{other}`"),
            ));
        }
    };
    let department = match r.get::<Option<String>>("dept_path")? {
        Some(path) => Some(DeptRef {
            id: r.get::<Option<String>>("dept_id")?.unwrap_or_default(),
            path: DeptPath(path),
            name_zh: r.get::<Option<String>>("dept_name")?.unwrap_or_default(),
        }),
        None => None,
    };
    let rating = match r.get::<Option<String>>("satisfaction")? {
        Some(code) => Some(Rating {
            satisfaction: parse_code("satisfaction", &code, Satisfaction::parse)?,
            comment: r.get::<Option<String>>("rating_comment")?.unwrap_or_default(),
            at: r.get::<Option<Millis>>("rated_ms")?.unwrap_or(Millis(0)),
        }),
        None => None,
    };
    Ok(Item {
        id: ItemId(r.get("id")?),
        number: r.get("number")?,
        kind: parse_code("kind", &r.get::<String>("kind")?, ItemKind::parse)?,
        category: r.get("category")?,
        category_name: r.get("category_name")?,
        title: open_text(cipher, TITLE_FIELD, r.get("title")?)?,
        text: open_text(cipher, BODY_FIELD, r.get("body")?)?,
        public_title: r.get("public_title")?,
        public_text: r.get("public_body")?,
        location,
        public: r.get("is_public")?,
        contact: from_json("contact_masked", &r.get::<String>("contact_masked")?)?,
        submitter,
        channel: parse_code("channel", &r.get::<String>("channel")?, Channel::parse)?,
        department,
        status: parse_code("status", &r.get::<String>("status")?, ItemStatus::parse)?,
        round: r.get("round")?,
        clock: LegalClock {
            started: parse_date("clock_started", &r.get::<String>("clock_started")?)?,
            statutory_days: r.get("limit_days")?,
            promised_days: None,
            pauses: Vec::new(),
            finished: optional_date(r, "clock_finished")?,
        },
        warn_on: optional_date(r, "warn_on")?,
        due_on: optional_date(r, "due_on")?,
        transfers: r.get("transfers")?,
        merged_into: r.get::<Option<String>>("merged_into")?.map(ItemId),
        rating,
        replied: r.get("replied_ms")?,
        published: r.get("published_ms")?,
        created: r.get("created_ms")?,
        updated: r.get("updated_ms")?,
        version: r.get("version")?,
    })
}

fn date_value(d: Option<Date>) -> Value {
    d.map_or(Value::Null, |d| Value::Text(d.to_string()))
}

fn millis_value(m: Option<Millis>) -> Value {
    m.map_or(Value::NullInt, |m| Value::Int(m.0))
}

/// The columns a change may touch, with their values from `item`.
fn mutable_values(item: &Item) -> Vec<(&'static str, Value)> {
    let dept = item.department.as_ref();
    vec![
        ("dept_id", dept.map_or(Value::Null, |d| Value::Text(d.id.clone()))),
        (
            "dept_path",
            dept.map_or(Value::Null, |d| Value::Text(d.path.0.clone())),
        ),
        (
            "dept_name",
            dept.map_or(Value::Null, |d| Value::Text(d.name_zh.clone())),
        ),
        ("status", Value::Text(item.status.code().into())),
        ("round", Value::Int(i64::from(item.round))),
        ("clock_started", Value::Text(item.clock.started.to_string())),
        ("limit_days", Value::Int(i64::from(item.clock.statutory_days))),
        ("warn_on", date_value(item.warn_on)),
        ("due_on", date_value(item.due_on)),
        ("clock_finished", date_value(item.clock.finished)),
        ("transfers", Value::Int(i64::from(item.transfers))),
        (
            "merged_into",
            item.merged_into
                .as_ref()
                .map_or(Value::Null, |m| Value::Text(m.0.clone())),
        ),
        (
            "satisfaction",
            item.rating
                .as_ref()
                .map_or(Value::Null, |r| Value::Text(r.satisfaction.code().into())),
        ),
        (
            "rating_comment",
            item.rating
                .as_ref()
                .map_or(Value::Null, |r| Value::Text(r.comment.clone())),
        ),
        ("rated_ms", millis_value(item.rating.as_ref().map(|r| r.at))),
        ("replied_ms", millis_value(item.replied)),
        ("published_ms", millis_value(item.published)),
        ("is_public", Value::Int(i64::from(item.public))),
        ("updated_ms", Value::Int(item.updated.0)),
    ]
}

/// What an item's row holds besides the item itself: encrypted contact details and the keys
/// used to find it.
pub(crate) struct Sealed {
    /// Encrypted name, phone and e-mail.
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Blind index of the phone.
    pub phone_index: Option<String>,
    /// Blind index of the anonymous source key.
    pub source_hash: Option<String>,
    /// SimHash of the text, for duplicate detection.
    pub text_hash: i64,
}

pub(crate) async fn insert_item(
    tx: &mut Tx,
    item: &Item,
    sealed: &Sealed,
    cipher: &FieldCipher,
) -> Result<()> {
    let loc = item.location.as_ref();
    let point = loc.and_then(|l| l.point);
    let opt = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
    let mut cols: Vec<(&'static str, Value)> = vec![
        ("id", Value::Text(item.id.0.clone())),
        ("number", Value::Text(item.number.clone())),
        ("kind", Value::Text(item.kind.code().into())),
        ("category", Value::Text(item.category.clone())),
        ("category_name", Value::Text(item.category_name.clone())),
        ("title", Value::Text(cipher.encrypt(TITLE_FIELD, &item.title))),
        ("body", Value::Text(cipher.encrypt(BODY_FIELD, &item.text))),
        ("public_title", Value::Text(item.public_title.clone())),
        ("public_body", Value::Text(item.public_text.clone())),
        (
            "address",
            Value::Text(loc.map(|l| l.address.clone()).unwrap_or_default()),
        ),
        (
            "district",
            Value::Text(loc.map(|l| l.district.clone()).unwrap_or_default()),
        ),
        (
            "latitude",
            point.map_or(Value::NullReal, |p| Value::Real(p.latitude)),
        ),
        (
            "longitude",
            point.map_or(Value::NullReal, |p| Value::Real(p.longitude)),
        ),
        ("contact_pref", Value::Text(item.contact.preference.code().into())),
        ("contact_name", opt(&sealed.name)),
        ("contact_phone", opt(&sealed.phone)),
        ("contact_phone_index", opt(&sealed.phone_index)),
        ("contact_email", opt(&sealed.email)),
        (
            "contact_masked",
            Value::Text(to_json("contact_masked", &item.contact)?),
        ),
        ("submitter_kind", Value::Text(item.submitter.kind_code().into())),
        ("submitter_id", Value::Text(item.submitter.id().into())),
        ("channel", Value::Text(item.channel.code().into())),
        ("source_hash", opt(&sealed.source_hash)),
        ("reminded_round", Value::Int(-1)),
        ("escalated_round", Value::Int(-1)),
        ("text_hash", Value::Int(sealed.text_hash)),
        ("created_ms", Value::Int(item.created.0)),
        ("version", Value::Int(i64::from(item.version))),
    ];
    cols.extend(mutable_values(item));
    let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
    let marks: Vec<String> = (1..=cols.len()).map(|i| format!("${i}")).collect();
    tx.execute(
        &format!(
            "INSERT INTO interact_items ({}) VALUES ({})",
            names.join(", "),
            marks.join(", ")
        ),
        cols.into_iter().map(|(_, v)| v).collect(),
    )
    .await?;
    Ok(())
}

/// The conflict every guarded write reports when someone else changed the item first.
pub(crate) fn moved_on() -> Error {
    Error::conflict("status", msg!("item-was-changed-meanwhile"))
}

/// Saves a change to `item`, guarded by the version it was read in (the stored version then
/// goes up by one, and so does `item.version`).
pub(crate) async fn save_item(tx: &mut Tx, item: &mut Item) -> Result<()> {
    let cols = mutable_values(item);
    let n = cols.len();
    let sets: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, (c, _))| format!("{c} = ${}", i + 1))
        .collect();
    let mut values: Vec<Value> = cols.into_iter().map(|(_, v)| v).collect();
    values.push(Value::Text(item.id.0.clone()));
    values.push(Value::Int(i64::from(item.version)));
    let changed = tx
        .execute(
            &format!(
                "UPDATE interact_items SET {}, version = version + 1 WHERE id = ${} AND version = ${}",
                sets.join(", "),
                n + 1,
                n + 2
            ),
            values,
        )
        .await?;
    if changed == 0 {
        return Err(moved_on());
    }
    item.version += 1;
    Ok(())
}

/// The item `id` read inside `tx`.
pub(crate) async fn item_in(tx: &mut Tx, id: &ItemId, cipher: &FieldCipher) -> Result<Item> {
    tx.fetch_optional(
        &format!("SELECT {ITEM_COLUMNS} FROM interact_items WHERE id = $1"),
        params![id.as_str()],
    )
    .await?
    .map(|r| item_from_row(&r, cipher))
    .transpose()?
    .ok_or(Error::NotFound { what: "item" })
}

/// One entry of the timeline.
pub(crate) struct LogDraft<'a> {
    pub action: &'a str,
    pub department: Option<&'a DeptPath>,
    pub note: &'a str,
    pub public: bool,
}

pub(crate) async fn log(
    tx: &mut Tx,
    item: &ItemId,
    actor: &Principal,
    at: Millis,
    d: LogDraft<'_>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO interact_log (id, item_id, at_ms, action, actor_id, actor_name, dept_path, note, is_public) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![
            tongban_kernel::id::new_uuid_v7(),
            item.as_str(),
            at,
            d.action,
            actor.id.clone(),
            actor.name.clone(),
            d.department,
            d.note,
            d.public
        ],
    )
    .await?;
    Ok(())
}

/// Tells the citizen who submitted `item` what happened (nothing for anonymous and channel
/// submissions: they have no inbox).
pub(crate) async fn notify(
    tx: &mut Tx,
    item: &Item,
    event: &str,
    zh: &str,
    en: &str,
    at: Millis,
) -> Result<()> {
    let Some(recipient) = item.submitter.citizen() else {
        return Ok(());
    };
    notify_account(tx, recipient, item, event, zh, en, at).await
}

/// Tells the account `recipient` what happened to `item`.
pub(crate) async fn notify_account(
    tx: &mut Tx,
    recipient: &str,
    item: &Item,
    event: &str,
    zh: &str,
    en: &str,
    at: Millis,
) -> Result<()> {
    tx.execute(
        "INSERT INTO interact_notifications (id, recipient_id, item_id, item_number, event, message, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        params![
            tongban_kernel::id::new_uuid_v7(),
            recipient,
            item.id.as_str(),
            item.number.clone(),
            event,
            msg!("item-moved", number = item.number, what = tongban_kernel::Arg::name(zh, en)).to_string(),
            at
        ],
    )
    .await?;
    Ok(())
}

/// A department counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Counter {
    Received,
    TransferredOut,
    Returned,
    Replied,
    RepliedOnTime,
    ReplyDaysTotal,
    Satisfied,
    Basic,
    Unsatisfied,
    Escalated,
    Rectifications,
}

const COUNTERS: [(Counter, &str); 11] = [
    (Counter::Received, "received"),
    (Counter::TransferredOut, "transferred_out"),
    (Counter::Returned, "returned"),
    (Counter::Replied, "replied"),
    (Counter::RepliedOnTime, "replied_on_time"),
    (Counter::ReplyDaysTotal, "reply_days_total"),
    (Counter::Satisfied, "satisfied"),
    (Counter::Basic, "basic"),
    (Counter::Unsatisfied, "unsatisfied"),
    (Counter::Escalated, "escalated"),
    (Counter::Rectifications, "rectifications"),
];

/// The counter columns, in [`COUNTERS`] order.
pub(crate) fn counter_columns() -> impl Iterator<Item = &'static str> {
    COUNTERS.iter().map(|(_, c)| *c)
}

/// Adds `deltas` to `dept`'s counters in the transaction of the change they count, so the
/// statistics are always current and never recomputed.
pub(crate) async fn bump(tx: &mut Tx, dept: &DeptRef, deltas: &[(Counter, i64)], at: Millis) -> Result<()> {
    let mut values = params![dept.path.as_str(), dept.id.clone(), dept.name_zh.clone()];
    for (counter, _) in COUNTERS {
        let delta: i64 = deltas.iter().filter(|(c, _)| *c == counter).map(|(_, d)| d).sum();
        values.push(Value::Int(delta));
    }
    values.push(Value::Int(at.0));
    let names: Vec<&str> = counter_columns().collect();
    let marks: Vec<String> = (4..4 + names.len()).map(|i| format!("${i}")).collect();
    let updates: Vec<String> = names
        .iter()
        .map(|c| format!("{c} = interact_dept_stats.{c} + excluded.{c}"))
        .collect();
    tx.execute(
        &format!(
            "INSERT INTO interact_dept_stats (dept_path, dept_id, dept_name, {}, updated_ms) \
             VALUES ($1, $2, $3, {}, ${}) ON CONFLICT (dept_path) DO UPDATE SET {}, \
             dept_name = excluded.dept_name, updated_ms = excluded.updated_ms",
            names.join(", "),
            marks.join(", "),
            4 + names.len(),
            updates.join(", ")
        ),
        values,
    )
    .await?;
    Ok(())
}

/// The next human number of `day`: `2026-0302-000001`.
pub(crate) async fn next_number(tx: &mut Tx, day: Date) -> Result<String> {
    let key = day.to_string();
    let n: i64 = tx
        .fetch_one(
            "INSERT INTO interact_counters (day, last) VALUES ($1, 1) \
             ON CONFLICT (day) DO UPDATE SET last = interact_counters.last + 1 RETURNING last",
            params![key],
        )
        .await?
        .get("last")?;
    Ok(format!(
        "{:04}-{:02}{:02}-{n:06}",
        day.year(),
        day.month(),
        day.day()
    ))
}

/// Appends the event of kind `K` about a change to `item`, with the item's [`ItemFacts`] beside
/// `detail` (never clear personal data) and a bilingual summary naming its number.
#[tracing::instrument(skip_all)]
pub(crate) async fn item_event<K: EventKind>(
    tx: &mut Tx,
    actor: &Principal,
    detail: K,
    item: &Item,
    (zh, en): (&str, &str),
) -> Result<()> {
    let event = With {
        about: ItemFacts {
            number: item.number.clone(),
            status: item.status.code().into(),
            department: item.dept_path().cloned(),
        },
        detail,
    };
    tx.append_event(
        actor,
        EventDraft::of(
            &event,
            item.id.as_str(),
            item.dept_path(),
            format!("{zh}：{} / {en}: {}", item.number, item.number),
        ),
    )
    .await?;
    Ok(())
}

impl Interact {
    /// The yellow and due days of a clock, or `None` where the calendar cannot count them yet.
    pub(crate) fn clock_days(&self, clock: &LegalClock) -> (Option<Date>, Option<Date>) {
        let limit = clock.statutory_days;
        let warn = crate::warn_days(limit).min(limit);
        let day = |n: u32| self.calendar.add_working_days(clock.started, n).ok();
        (day(limit - warn), day(limit))
    }

    /// The clock read today, or `None` where the calendar cannot count it yet.
    pub(crate) fn read_clock(&self, clock: &LegalClock) -> Option<ClockReading> {
        match clock.read(
            &self.calendar,
            self.today(),
            crate::warn_days(clock.statutory_days),
        ) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!(error = %e, "interaction clock cannot be read");
                None
            }
        }
    }

    /// Masks contact details for views.
    pub(crate) fn masked_contact(&self, c: &crate::ContactInput) -> MaskedContact {
        MaskedContact {
            preference: c.preference,
            name: if c.name.is_empty() {
                String::new()
            } else {
                tongban_crypto::mask_name(&c.name)
            },
            phone: if c.phone.is_empty() {
                String::new()
            } else {
                tongban_crypto::mask_phone(&c.phone)
            },
            email: if c.email.is_empty() {
                String::new()
            } else {
                tongban_crypto::mask_email(&c.email)
            },
        }
    }
}
