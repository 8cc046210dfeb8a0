//! 共享交换: the exchange reads department systems make — records of a resource's current
//! version looked up by field values, only the granted fields, masked per grant — and the change
//! feed of versions. Each read is recorded in the evidentiary log (who, when, purpose, query,
//! count) before its records are returned. Reads are recorded in group commits, and a group's
//! reads by one caller of one resource share one event that lists each of them, so that
//! thousands of reads per second cost a few transactions and a few events, not thousands.

use crate::events::{ExchangeCall, ExchangeRead};
use crate::policy::{Access, Shown, bidx_column, blind_index_of};
use crate::{Error, Pool, Result, personal};
use arrow::array::{Array, RecordBatch};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use tokio::sync::{mpsc, oneshot};
use tongban_catalog::{GrantUse, Sensitivity};
use tongban_db::EventDraft;
use tongban_kernel::msg;
use tongban_kernel::{Invalid, Principal};

/// Most records one lookup returns.
pub const MAX_RECORDS: usize = 100;
/// Most filters one lookup takes.
const MAX_FILTERS: usize = 5;
/// Most reads recorded in one transaction.
const GROUP_COMMIT: usize = 512;
/// How many times the recorder lets other tasks run, finding no new read, before it commits
/// what it holds: reads still on their way (concurrent callers a few microseconds behind) join
/// the group instead of each costing a commit of its own, and a lone read waits for nothing.
const GATHER_YIELDS: u32 = 4;

/// One lookup: `field = value` conditions (all must hold), the fields wanted (empty: every
/// granted field), a limit and the declared purpose.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// `(field, value)` pairs, ANDed.
    pub filters: Vec<(String, String)>,
    /// Fields to return; empty for all granted fields.
    pub fields: Vec<String>,
    /// Most records (1..=[`MAX_RECORDS`]).
    pub limit: usize,
    /// 用途, required.
    pub purpose: String,
}

/// What a lookup returns.
#[derive(Debug, Clone, Serialize)]
pub struct Records {
    /// The resource code.
    pub resource: String,
    /// The version read.
    pub version: u32,
    /// The fields returned, in order.
    pub fields: Vec<String>,
    /// The matching records.
    pub records: Vec<Map<String, Value>>,
    /// Whether more records matched than returned.
    pub truncated: bool,
}

/// What [`Pool::prefill`] found for one resource.
#[derive(Debug, Clone, Serialize)]
pub struct Prefill {
    /// The resource code.
    pub resource: String,
    /// The providing department's name (shown as the value's source).
    pub provider: String,
    /// The version read (0 when nothing could be read).
    pub version: u32,
    /// The subject's record (usable fields only, in clear), if there is one.
    pub record: Option<Map<String, Value>>,
    /// Wanted fields the department may not use.
    pub refused: Vec<String>,
}

/// Whose record a prefill reads: a person by ID number, an organisation by credit code.
#[derive(Clone, PartialEq, Eq)]
pub enum Subject {
    /// A citizen's 公民身份号码.
    Person(String),
    /// A business's 统一社会信用代码.
    Organisation(String),
}

impl std::fmt::Debug for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Identifiers are personal data: never in logs.
        f.write_str(match self {
            Subject::Person(_) => "Subject::Person(..)",
            Subject::Organisation(_) => "Subject::Organisation(..)",
        })
    }
}

/// Who a read is for: a department system through the exchange, or the prefill of an
/// application shown to its own data subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Reader {
    Exchange,
    Prefill,
}

impl Reader {
    fn code(self) -> &'static str {
        match self {
            Reader::Exchange => "exchange",
            Reader::Prefill => "prefill",
        }
    }
}

/// One version of the change feed.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// The version.
    pub version: u32,
    /// Rows in it.
    pub rows: u64,
    /// Its quality score (0..=1).
    pub quality: f64,
    /// Added / changed / removed against the version before.
    pub diff: Value,
    /// When it was recorded (ms since the epoch).
    pub recorded_ms: i64,
}

/// Value text → where it occurs, as (batch, row), for one column.
type ColumnIndex = HashMap<String, Vec<(u32, u32)>>;

/// A stored version held in memory for lookups, with an index per looked-up column built on
/// first use.
pub(crate) struct VersionIndex {
    batches: Vec<RecordBatch>,
    columns: Mutex<HashMap<String, Arc<ColumnIndex>>>,
    /// Held while a column's index is built, so that it is built once.
    building: Mutex<()>,
}

impl VersionIndex {
    fn load(dir: &Path) -> Result<Self> {
        let mut files: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect();
        files.sort();
        let mut batches = Vec::new();
        for path in files {
            for batch in ParquetRecordBatchReaderBuilder::try_new(File::open(path)?)?.build()? {
                batches.push(batch?);
            }
        }
        Ok(Self {
            batches,
            columns: Mutex::new(HashMap::new()),
            building: Mutex::new(()),
        })
    }

    /// Value text → (batch, row) of every row, for one column.
    fn column(&self, name: &str) -> Result<Arc<ColumnIndex>> {
        if let Some(ix) = self.columns.lock().map_err(poisoned)?.get(name) {
            return Ok(ix.clone());
        }
        let _building = self.building.lock().map_err(poisoned)?;
        if let Some(ix) = self.columns.lock().map_err(poisoned)?.get(name) {
            return Ok(ix.clone());
        }
        let mut ix: ColumnIndex = HashMap::new();
        for (b, batch) in self.batches.iter().enumerate() {
            let Some(array) = batch.column_by_name(name) else {
                continue;
            };
            let fmt = ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())?;
            for row in 0..batch.num_rows() {
                if array.is_null(row) {
                    continue;
                }
                let key = fmt.value(row).to_string();
                ix.entry(key).or_default().push((b as u32, row as u32));
            }
        }
        let ix = Arc::new(ix);
        self.columns
            .lock()
            .map_err(poisoned)?
            .insert(name.to_owned(), ix.clone());
        Ok(ix)
    }

    fn text(&self, (b, row): (u32, u32), column: &str) -> Option<String> {
        let batch = self.batches.get(b as usize)?;
        let array = batch.column_by_name(column)?;
        let row = row as usize;
        if array.is_null(row) {
            return None;
        }
        ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())
            .ok()
            .map(|f| f.value(row).to_string())
    }

    fn json(&self, at: (u32, u32), column: &str) -> Value {
        let Some(batch) = self.batches.get(at.0 as usize) else {
            return Value::Null;
        };
        let Some(array) = batch.column_by_name(column) else {
            return Value::Null;
        };
        let fmt = ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default()).ok();
        crate::query::json_value(array, fmt.as_ref(), at.1 as usize)
    }
}

/// A read waiting to be recorded, and where to say it was.
struct Pending {
    actor: Principal,
    event: ReadEvent,
    done: oneshot::Sender<std::result::Result<(), String>>,
}

/// One read waiting to be recorded: what it adds to the usage counters, and its entry in the
/// event of its group.
struct ReadEvent {
    code: String,
    provider: tongban_kernel::DeptPath,
    reader: Reader,
    day: String,
    call: ExchangeCall,
}

/// The recorder of reads: one background task writing group commits.
#[derive(Default)]
pub(crate) struct Recorder {
    sender: OnceLock<mpsc::Sender<Pending>>,
    indexes: Mutex<HashMap<String, (u32, Arc<VersionIndex>)>>,
    /// Held while a version is loaded, so that callers arriving together load it once.
    loading: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Pool {
    /// What the actor may see of one resource (the exchange's fast path: one grant lookup).
    pub(crate) async fn exchange_access(
        &self,
        actor: &Principal,
        code: &str,
        reading: GrantUse,
    ) -> Result<Access> {
        let code = code.trim().to_uppercase();
        let refused = || Error::Forbidden {
            why: msg!("no-grant-resource-code", code = code),
        };
        let resource = match self.catalog.resource_by_code_cached(&code).await {
            Ok(r) => r,
            Err(tongban_catalog::Error::NotFound { .. }) => return Err(refused()),
            Err(e) => return Err(e.into()),
        };
        if resource.status != tongban_catalog::ResourceStatus::Published {
            return Err(refused());
        }
        let grant = match crate::policy::grantee_of(actor) {
            Some(g) => {
                self.catalog
                    .effective_grant_cached(&g, &code, self.catalog.today())
                    .await?
            }
            None => None,
        };
        crate::policy::access(&resource, grant.as_ref(), actor.department.as_ref(), reading)
            .ok_or_else(refused)
    }

    /// The records of resource `code`'s current version matching every filter, with the fields
    /// the caller's grant allows (personal ones masked unless granted in clear) and the grant's
    /// row filter applied. A filter or wanted field that is not granted is refused by name. The
    /// read is recorded (who, purpose, query with personal values masked, count) before the
    /// records are returned; if it cannot be recorded, nothing is returned.
    pub async fn lookup(&self, actor: &Principal, code: &str, q: &Lookup) -> Result<Records> {
        let access = self.exchange_access(actor, code, GrantUse::Exchange).await?;
        // Clear text only for a lookup of one person by identifier, never a search by name.
        let access = if access.by_identifier(&q.filters) {
            access
        } else {
            access.clear_masked()
        };
        self.read(actor, access, q, Reader::Exchange).await
    }

    /// 预填: the data subject's own record of resource `code` — the row whose ID-number (or
    /// credit-code) field holds `subject`'s verified identifier — with those of
    /// `wanted` fields that `actor`'s department may use (as provider, or through a live grant),
    /// in clear, because they are shown only to the person they are about. Fields it may not use
    /// are left out and named in [`Prefill::refused`]; nothing found is `Ok` with no record. The
    /// read is recorded like an exchange read, with the purpose.
    pub async fn prefill(
        &self,
        actor: &Principal,
        code: &str,
        subject: &Subject,
        wanted: &[String],
        purpose: &str,
    ) -> Result<Prefill> {
        let access = match self.exchange_access(actor, code, GrantUse::Prefill).await {
            Ok(a) => a,
            Err(Error::Forbidden { .. }) => {
                return Ok(Prefill {
                    resource: code.trim().to_uppercase(),
                    provider: String::new(),
                    version: 0,
                    record: None,
                    refused: wanted.to_vec(),
                });
            }
            Err(e) => return Err(e),
        };
        let provider = access.resource.provider.name_zh.clone();
        let (standardizer, subject_value) = match subject {
            Subject::Person(id) => ("id_number", id.as_str()),
            Subject::Organisation(code) => ("credit_code", code.as_str()),
        };
        // The subject's field: the first the department may use that holds such identifiers.
        let subject_field = access
            .fields
            .iter()
            .find(|f| f.field.standardizer.as_deref() == Some(standardizer))
            .map(|f| f.field.code.clone());
        let Some(subject_field) = subject_field else {
            return Ok(Prefill {
                resource: access.resource.code.clone(),
                provider,
                version: access.resource.current_version,
                record: None,
                refused: wanted.to_vec(),
            });
        };
        let (usable, refused): (Vec<String>, Vec<String>) =
            wanted.iter().cloned().partition(|f| access.field(f).is_some());
        if usable.is_empty() {
            return Ok(Prefill {
                resource: access.resource.code.clone(),
                provider,
                version: access.resource.current_version,
                record: None,
                refused,
            });
        }
        let q = Lookup {
            filters: vec![(subject_field, subject_value.to_owned())],
            fields: usable,
            limit: 1,
            purpose: purpose.to_owned(),
        };
        let records = self.read(actor, access, &q, Reader::Prefill).await?;
        Ok(Prefill {
            resource: records.resource,
            provider,
            version: records.version,
            record: records.records.into_iter().next(),
            refused,
        })
    }

    async fn read(&self, actor: &Principal, access: Access, q: &Lookup, reader: Reader) -> Result<Records> {
        let purpose = q.purpose.trim();
        if purpose.is_empty() {
            return Err(Invalid::new("purpose", msg!("purpose-required")).into());
        }
        if purpose.chars().count() > 200 {
            return Err(Invalid::new("purpose", msg!("most-200-characters")).into());
        }
        if q.filters.is_empty() {
            return Err(Invalid::new("filters", msg!("look-up-least-one")).into());
        }
        if q.filters.len() > MAX_FILTERS {
            return Err(Invalid::new(
                "filters",
                msg!("most-max-filters-filters", max_filters = MAX_FILTERS),
            )
            .into());
        }
        if q.limit == 0 || q.limit > MAX_RECORDS {
            return Err(
                Invalid::new("limit", msg!("between-1-max-records", max_records = MAX_RECORDS)).into(),
            );
        }
        let not_granted = |f: &str| {
            let shown: String = f.chars().take(64).collect();
            Error::Forbidden {
                why: msg!("field-shown-not-granted", shown = shown),
            }
        };
        let fields: Vec<&crate::FieldAccess> = if q.fields.is_empty() {
            access.fields.iter().collect()
        } else {
            let mut out = Vec::new();
            for f in &q.fields {
                out.push(access.field(f.trim()).ok_or_else(|| not_granted(f))?);
            }
            out
        };
        let code = access.resource.code.clone();
        let version = access.resource.current_version;
        let index = self.version_index(&code, version).await?;

        // Conditions as (column, stored text); personal values compare by blind index.
        let mut conditions = Vec::with_capacity(q.filters.len());
        for (field, value) in &q.filters {
            let f = access.field(field.trim()).ok_or_else(|| not_granted(field))?;
            conditions.push(if f.personal() {
                (
                    bidx_column(&f.field.code),
                    blind_index_of(&self.fields, &f.field, value),
                )
            } else {
                (f.field.code.clone(), value.trim().to_owned())
            });
        }
        let row_filter = match &access.row_filter {
            None => None,
            Some(rf) => {
                let field = access.resource.field(&rf.field).ok_or_else(|| Error::Forbidden {
                    why: msg!("grant-s-row-filter"),
                })?;
                Some(if field.sensitivity == Sensitivity::Personal {
                    let keys: Vec<String> = rf
                        .values
                        .iter()
                        .map(|v| blind_index_of(&self.fields, field, v))
                        .collect();
                    (bidx_column(&field.code), keys)
                } else {
                    (field.code.clone(), rf.values.clone())
                })
            }
        };
        let (first_col, first_val) = &conditions[0];
        let candidates = index.column(first_col)?;
        let mut matched = Vec::new();
        let mut truncated = false;
        for &at in candidates.get(first_val).map(Vec::as_slice).unwrap_or_default() {
            let holds = conditions[1..]
                .iter()
                .all(|(c, v)| index.text(at, c).as_deref() == Some(v.as_str()))
                && row_filter
                    .as_ref()
                    .is_none_or(|(c, allowed)| index.text(at, c).is_some_and(|v| allowed.contains(&v)));
            if holds {
                if matched.len() == q.limit {
                    truncated = true;
                    break;
                }
                matched.push(at);
            }
        }
        let mut records = Vec::with_capacity(matched.len());
        for at in matched {
            let mut rec = Map::new();
            for f in &fields {
                let value = match f.shown {
                    Shown::Plain => index.json(at, &f.field.code),
                    Shown::Masked | Shown::Clear => match index.text(at, &f.field.code) {
                        None => Value::Null,
                        Some(stored) => {
                            let plain = self
                                .fields
                                .decrypt(&personal::cipher_name(&code, &f.field), &stored)
                                .map_err(|e| Error::Parquet(format!("decrypt {}: {e}", f.field.code)))?;
                            Value::String(if f.shown == Shown::Clear || reader == Reader::Prefill {
                                plain
                            } else {
                                personal::mask(&f.field, &plain)
                            })
                        }
                    },
                };
                rec.insert(f.field.code.clone(), value);
            }
            records.push(rec);
        }
        let shown_query: Map<String, Value> = q
            .filters
            .iter()
            .map(|(field, value)| {
                let v = match access.field(field.trim()) {
                    Some(f) if f.personal() => personal::mask(&f.field, value),
                    _ => value.chars().take(200).collect(),
                };
                (field.clone(), Value::String(v))
            })
            .collect();
        let names: Vec<String> = fields.iter().map(|f| f.field.code.clone()).collect();
        let event = ReadEvent {
            code: code.clone(),
            provider: access.resource.provider.path.clone(),
            reader,
            day: self.catalog.today().to_string(),
            call: ExchangeCall {
                at_ms: tongban_kernel::Millis::now().0,
                purpose: purpose.to_owned(),
                query: shown_query,
                fields: names.clone(),
                count: records.len(),
                version,
                basis: access.basis.code().to_owned(),
                grant: match &access.basis {
                    crate::Basis::Grant(id) => Some(id.as_str().to_owned()),
                    _ => None,
                },
            },
        };
        self.record_read(actor, event).await?;
        Ok(Records {
            resource: code,
            version,
            fields: names,
            records,
            truncated,
        })
    }

    /// The versions of resource `code` after `since`, oldest first, for a caller with access.
    pub async fn changes(&self, actor: &Principal, code: &str, since: u32) -> Result<(u32, Vec<Change>)> {
        let access = self.exchange_access(actor, code, GrantUse::Exchange).await?;
        let versions = self
            .catalog
            .resource_versions(&Principal::system("exchange"), &access.resource.id)
            .await?;
        let mut changes: Vec<Change> = versions
            .into_iter()
            .filter(|v| v.version > since)
            .map(|v| Change {
                version: v.version,
                rows: v.row_count,
                quality: v.quality_score,
                diff: v.diff,
                recorded_ms: v.created.0,
            })
            .collect();
        changes.sort_by_key(|c| c.version);
        Ok((access.resource.current_version, changes))
    }

    /// The in-memory index of a version (loaded once; older versions of the resource dropped).
    async fn version_index(&self, code: &str, version: u32) -> Result<Arc<VersionIndex>> {
        let cached = || -> Result<Option<Arc<VersionIndex>>> {
            Ok(match self.recorder.indexes.lock().map_err(poisoned)?.get(code) {
                Some((v, ix)) if *v == version => Some(ix.clone()),
                _ => None,
            })
        };
        if let Some(ix) = cached()? {
            return Ok(ix);
        }
        let _loading = self.recorder.loading.lock().await;
        if let Some(ix) = cached()? {
            return Ok(ix);
        }
        let dir = self.local_version(code, version).await?;
        let ix = tokio::task::spawn_blocking(move || VersionIndex::load(&dir))
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))??;
        let ix = Arc::new(ix);
        let mut cache = self.recorder.indexes.lock().map_err(poisoned)?;
        let keep = cache.get(code).is_none_or(|(v, _)| *v < version);
        if keep {
            cache.insert(code.to_owned(), (version, ix.clone()));
        }
        Ok(ix)
    }

    /// Records one read, waiting until its group commit is durable.
    async fn record_read(&self, actor: &Principal, event: ReadEvent) -> Result<()> {
        let sender = self.recorder.sender.get_or_init(|| {
            let (tx, rx) = mpsc::channel(GROUP_COMMIT * 4);
            tokio::spawn(record_reads(self.catalog.db().clone(), rx));
            tx
        });
        let (done, wait) = oneshot::channel();
        let pending = Pending {
            actor: actor.clone(),
            event,
            done,
        };
        let lost = || Error::Io(std::io::Error::other("exchange recorder stopped"));
        sender.send(pending).await.map_err(|_| lost())?;
        wait.await
            .map_err(|_| lost())?
            .map_err(|e| Error::Io(std::io::Error::other(e)))
    }
}

/// The recorder task: takes what is waiting (up to [`GROUP_COMMIT`]) and what arrives while
/// other tasks run (see [`GATHER_YIELDS`]), writes it in one transaction, and tells every caller.
async fn record_reads(db: tongban_db::Db, mut rx: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(GROUP_COMMIT);
    while rx.recv_many(&mut batch, GROUP_COMMIT).await > 0 {
        let mut idle = 0;
        while idle < GATHER_YIELDS && batch.len() < GROUP_COMMIT {
            tokio::task::yield_now().await;
            let before = batch.len();
            while batch.len() < GROUP_COMMIT {
                match rx.try_recv() {
                    Ok(p) => batch.push(p),
                    Err(_) => break,
                }
            }
            idle = if batch.len() == before { idle + 1 } else { 0 };
        }
        let outcome = write_reads(&db, &batch).await.map_err(|e| e.to_string());
        if let Err(e) = &outcome {
            tracing::error!(error = %e, reads = batch.len(), "could not record exchange reads; none returned");
        }
        for p in batch.drain(..) {
            let _ = p.done.send(outcome.clone());
        }
    }
}

async fn write_reads(db: &tongban_db::Db, batch: &[Pending]) -> std::result::Result<(), tongban_db::Error> {
    let mut tx = db.begin_write().await?;
    // Usage counters first (one upsert per day, resource and caller in the batch), then the
    // events: appending an event holds the event counter until commit.
    let mut usage: HashMap<(&str, &str, &str), (&Pending, i64, i64)> = HashMap::new();
    for p in batch {
        let e = usage
            .entry((p.event.day.as_str(), p.event.code.as_str(), p.actor.id.as_str()))
            .or_insert((p, 0, 0));
        e.1 += 1;
        e.2 += i64::try_from(p.event.call.count).unwrap_or(i64::MAX);
    }
    for ((day, code, caller), (p, calls, records)) in usage {
        let caller_path = p
            .actor
            .department
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default();
        tx.execute(
            "INSERT INTO exchange_usage (day, resource_code, provider_path, caller_id, caller_name, caller_path, calls, records) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (day, resource_code, caller_id) DO UPDATE \
             SET calls = exchange_usage.calls + excluded.calls, records = exchange_usage.records + excluded.records",
            tongban_db::params![day, code, p.event.provider.as_str(), caller, p.actor.name.as_str(), caller_path, calls, records],
        )
        .await?;
    }
    // One event per caller, resource and use, listing its reads in the order they came.
    let mut groups: Vec<Vec<&Pending>> = Vec::new();
    let mut group_of: HashMap<(&str, &str, Reader), usize> = HashMap::new();
    for p in batch {
        let key = (p.actor.id.as_str(), p.event.code.as_str(), p.event.reader);
        let at = *group_of.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[at].push(p);
    }
    let mut events = Vec::with_capacity(groups.len());
    for group in &groups {
        let first = group[0];
        let calls: Vec<ExchangeCall> = group.iter().map(|p| p.event.call.clone()).collect();
        let records: usize = calls.iter().map(|c| c.count).sum();
        let summary = read_summary(
            &first.actor.name,
            &first.event.code,
            first.event.reader,
            calls.len(),
            records,
        );
        let read = ExchangeRead {
            reader: first.event.reader.code().to_owned(),
            reads: calls.len(),
            records,
            calls,
        };
        events.push((
            &first.actor,
            EventDraft::of(&read, &first.event.code, Some(&first.event.provider), summary),
        ));
    }
    tx.append_events(events).await?;
    tx.commit().await
}

/// The event summary of `reads` reads of `code` by `caller`, returning `records` records.
fn read_summary(caller: &str, code: &str, reader: Reader, reads: usize, records: usize) -> String {
    match reader {
        Reader::Exchange => msg!(
            "exchange-read",
            caller = caller,
            code = code,
            reads = reads,
            records = records
        ),
        Reader::Prefill => msg!(
            "prefill-read",
            caller = caller,
            code = code,
            reads = reads,
            records = records
        ),
    }
    .to_string()
}

/// Exchange usage over a period, per resource and calling system.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    /// The resource code.
    pub resource: String,
    /// The calling system's name.
    pub caller: String,
    /// The calling system's department path.
    pub caller_path: String,
    /// Calls made.
    pub calls: i64,
    /// Records returned.
    pub records: i64,
}

impl Pool {
    /// Exchange usage from `from` to `to` (inclusive) that the actor may see: calls to resources
    /// its departments provide, and calls its departments' systems made (`ReadCatalog` scopes),
    /// most calls first.
    pub async fn exchange_usage(
        &self,
        actor: &Principal,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Result<Vec<Usage>> {
        let scopes = actor.scopes_for(tongban_kernel::Permission::ReadCatalog);
        if scopes.is_empty() {
            return Err(Error::Forbidden {
                why: msg!("not-permitted-see-exchange"),
            });
        }
        let rows = self
            .catalog
            .db()
            .fetch_all(
                "SELECT resource_code, caller_name, caller_path, provider_path, CAST(SUM(calls) AS BIGINT) AS calls, \
                 CAST(SUM(records) AS BIGINT) AS records \
                 FROM exchange_usage WHERE day >= $1 AND day <= $2 \
                 GROUP BY resource_code, caller_id, caller_name, caller_path, provider_path",
                tongban_db::params![from.to_string(), to.to_string()],
            )
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let provider = tongban_kernel::DeptPath(r.get("provider_path")?);
            let caller_path: String = r.get("caller_path")?;
            let caller_dept = tongban_kernel::DeptPath(caller_path.clone());
            if !scopes
                .iter()
                .any(|s| s.contains(&provider) || s.contains(&caller_dept))
            {
                continue;
            }
            out.push(Usage {
                resource: r.get("resource_code")?,
                caller: r.get("caller_name")?,
                caller_path,
                calls: r.get("calls")?,
                records: r.get("records")?,
            });
        }
        out.sort_by(|a, b| b.calls.cmp(&a.calls).then(a.resource.cmp(&b.resource)));
        Ok(out)
    }
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> Error {
    Error::Io(std::io::Error::other("exchange cache lock poisoned"))
}

#[cfg(test)]
mod tests {
    use super::{Reader, read_summary};

    #[test]
    fn a_group_summary_counts_reads_and_records_in_both_languages() {
        assert_eq!(
            read_summary("低保系统", "3301-GA-0001", Reader::Exchange, 1, 1),
            "低保系统 经共享接口读取 3301-GA-0001 1次，共1条 / 低保系统 read 3301-GA-0001 once through the exchange (1 record)"
        );
        assert_eq!(
            read_summary("办件系统", "3301-GA-0001", Reader::Prefill, 3, 0),
            "办件系统 为申请人预填读取 3301-GA-0001 3次，共0条 / 办件系统 read 3301-GA-0001 3 times to prefill applications (0 records)"
        );
    }
}
