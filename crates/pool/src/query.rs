//! 数据池查询: SQL over the lake with the policy inside the engine. Each query gets its own
//! DataFusion session holding one view per resource the caller may see — only the granted
//! fields, rows limited by the grant's row filter, personal fields decrypted and masked (or
//! clear where the grant allows) by functions the caller cannot name — and nothing else: no
//! files, no other tables, no DDL, DML or settings. `SELECT *`, joins, subqueries, CTEs and
//! `information_schema` therefore only ever see what the views expose. Every query is an event.

use crate::events::{QueryRan, QueryRefused, QueryTimedOut};
use crate::policy::{Access, FieldAccess, Shown, bidx_column, blind_index_of};
use crate::{Error, Pool, Result, personal};
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::{DataFusionError, SchemaError, TableReference};
use datafusion::config::Dialect;
use datafusion::datasource::ViewTable;
use datafusion::execution::context::SQLOptions;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::GreedyMemoryPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::{
    ColumnarValue, LogicalPlan, LogicalPlanBuilder, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility, cast, ident, lit,
};
use datafusion::prelude::{Expr, ParquetReadOptions, SessionConfig, SessionContext};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tongban_crypto::FieldCipher;
use tongban_db::EventDraft;
use tongban_kernel::{Arg, Msg, msg};
use tongban_kernel::{Invalid, Principal};

/// Longest SQL text accepted.
pub const MAX_SQL_CHARS: usize = 20_000;
/// How much of the SQL text an event keeps.
const SQL_IN_EVENT: usize = 2_000;

/// Limits and declared purpose of one query.
#[derive(Debug, Clone)]
pub struct QueryOptions {
    /// 用途: why the data is being read (recorded with the query).
    pub purpose: String,
    /// Most rows returned; a result cut short says so.
    pub row_limit: usize,
    /// Longest the query may run, planning included.
    pub timeout: Duration,
    /// Most memory the query's operators may hold (sorts, joins, aggregates); nothing spills.
    pub memory_limit: usize,
}

impl Default for QueryOptions {
    fn default() -> Self {
        Self {
            purpose: String::new(),
            row_limit: 10_000,
            timeout: Duration::from_secs(30),
            memory_limit: 512 << 20,
        }
    }
}

/// A result column.
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// Its name.
    pub name: String,
    /// Its Arrow type, as DataFusion prints it (`Utf8`, `Int64`, `Date32`…).
    pub data_type: String,
}

/// What a query returned.
#[derive(Debug, Clone)]
pub struct QueryResult {
    /// The event id the query was recorded under.
    pub id: String,
    /// The result's columns.
    pub columns: Vec<Column>,
    /// The rows, in Arrow batches.
    pub batches: Vec<RecordBatch>,
    /// Rows returned.
    pub rows: usize,
    /// Whether more rows matched than the row limit allowed.
    pub truncated: bool,
    /// The resources the query read, by code.
    pub resources: Vec<String>,
    /// Time taken.
    pub elapsed_ms: u64,
}

impl QueryResult {
    /// Every row as text cells (NULL as the empty string), in column order.
    pub fn text_rows(&self) -> Vec<Vec<String>> {
        let mut out = Vec::with_capacity(self.rows);
        for batch in &self.batches {
            let formatters: Vec<Option<ArrayFormatter<'_>>> = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &FormatOptions::default()).ok())
                .collect();
            for row in 0..batch.num_rows() {
                out.push(
                    batch
                        .columns()
                        .iter()
                        .zip(&formatters)
                        .map(|(c, f)| match f {
                            Some(f) if !c.is_null(row) => f.value(row).to_string(),
                            _ => String::new(),
                        })
                        .collect(),
                );
            }
        }
        out
    }

    /// Every row as a JSON object (numbers and booleans typed, NULL as null).
    pub fn json_rows(&self) -> Vec<serde_json::Map<String, serde_json::Value>> {
        let mut out = Vec::with_capacity(self.rows);
        for batch in &self.batches {
            let formatters: Vec<Option<ArrayFormatter<'_>>> = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &FormatOptions::default()).ok())
                .collect();
            for row in 0..batch.num_rows() {
                let mut obj = serde_json::Map::new();
                for ((col, array), fmt) in self.columns.iter().zip(batch.columns()).zip(&formatters) {
                    obj.insert(col.name.clone(), json_value(array, fmt.as_ref(), row));
                }
                out.push(obj);
            }
        }
        out
    }

    /// The result as CSV (with a UTF-8 BOM when `bom`, for Excel and WPS), every cell a
    /// spreadsheet would evaluate as a formula defused.
    pub fn to_csv(&self, bom: bool) -> Result<Vec<u8>> {
        crate::export::csv_bytes(&self.header(), &self.text_rows(), bom)
    }

    /// The result as an XLSX workbook, formulas defused.
    pub fn to_xlsx(&self) -> Result<Vec<u8>> {
        crate::export::xlsx_bytes("查询结果 result", &self.header(), &self.text_rows())
    }

    fn header(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.name.clone()).collect()
    }
}

/// One cell as JSON: numbers and booleans as themselves, everything else as its display text.
pub(crate) fn json_value(
    array: &ArrayRef,
    fmt: Option<&ArrayFormatter<'_>>,
    row: usize,
) -> serde_json::Value {
    use arrow::datatypes::{Float64Type, Int64Type};
    if array.is_null(row) {
        return serde_json::Value::Null;
    }
    match array.data_type() {
        DataType::Int64 => json!(array.as_primitive::<Int64Type>().value(row)),
        DataType::Float64 => json!(array.as_primitive::<Float64Type>().value(row)),
        DataType::Boolean => json!(array.as_boolean().value(row)),
        dt if dt.is_integer() || dt.is_floating() => fmt
            .and_then(|f| f.value(row).to_string().parse::<serde_json::Number>().ok())
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        _ => fmt.map_or(serde_json::Value::Null, |f| json!(f.value(row).to_string())),
    }
}

/// One table a caller may query, as the console lists it.
#[derive(Debug, Clone, Serialize)]
pub struct TableInfo {
    /// The table name: the resource code (quote it in SQL: `"9901-GA-0001"`).
    pub name: String,
    /// The resource's Chinese name.
    pub title: String,
    /// `provider`, `grant` or `open`.
    pub basis: &'static str,
    /// The version read.
    pub version: u32,
    /// Visible columns: `(name, 中文名, shown as)` with `plain`, `masked` or `clear`.
    pub columns: Vec<(String, String, &'static str)>,
    /// Whether rows are limited by a row filter.
    pub filtered: bool,
    /// The grant's purpose (用途), when the table is read through a grant.
    pub purpose: Option<String>,
    /// Why the grant gives personal fields in clear text, when it gives any.
    pub clear_basis: Option<String>,
}

/// The scans of stored versions, planned once per version (versions never change).
#[derive(Default)]
pub(crate) struct Scans {
    reader: SessionContext,
    plans: Mutex<HashMap<(String, u32), LogicalPlan>>,
}

impl std::fmt::Debug for Scans {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scans").finish_non_exhaustive()
    }
}

impl Pool {
    /// The tables the actor may query and what it sees of each.
    pub async fn tables(&self, actor: &Principal) -> Result<Vec<TableInfo>> {
        Ok(self
            .accessible(actor)
            .await?
            .iter()
            .map(|a| TableInfo {
                name: a.resource.code.clone(),
                title: a.resource.name_zh.clone(),
                basis: a.basis.code(),
                version: a.resource.current_version,
                columns: a
                    .fields
                    .iter()
                    .flat_map(|f| {
                        let shown = match f.shown {
                            Shown::Plain => "plain",
                            Shown::Masked => "masked",
                            Shown::Clear => "clear",
                        };
                        let main = (f.field.code.clone(), f.field.name_zh.clone(), shown);
                        let key = f.personal().then(|| {
                            (
                                bidx_column(&f.field.code),
                                format!("{}（盲索引）", f.field.name_zh),
                                "blind_index",
                            )
                        });
                        std::iter::once(main).chain(key)
                    })
                    .collect(),
                filtered: a.row_filter.is_some(),
                purpose: a.purpose.clone(),
                clear_basis: a.clear_basis.clone(),
            })
            .collect())
    }

    /// How many queries' threads run now (see [`LIVE_QUERIES`]).
    pub fn queries_running(&self) -> usize {
        self.live.running()
    }

    /// Runs one read-only SQL statement (SELECT, WITH, EXPLAIN) as the actor: only the resources
    /// and fields its grants allow exist in the session. A reference to a table or field it may
    /// not see is refused with the name (and recorded); the query itself is recorded as an event
    /// with the resources read, the purpose and the rows returned.
    pub async fn query(&self, actor: &Principal, sql: &str, opts: &QueryOptions) -> Result<QueryResult> {
        let started = Instant::now();
        let sql = sql.trim().trim_end_matches(';').trim();
        if sql.is_empty() {
            return Err(Invalid::new("sql", msg!("enter-query")).into());
        }
        if sql.chars().count() > MAX_SQL_CHARS {
            return Err(Invalid::new(
                "sql",
                msg!("query-longer-than-max", max_sql_chars = MAX_SQL_CHARS),
            )
            .into());
        }
        if opts.row_limit == 0 {
            return Err(Invalid::new("row_limit", msg!("row-limit-positive")).into());
        }
        // Parsing is not linear in the depth of brackets (the parser tries one reading, then
        // another, at each level): the depth is counted first, in one pass over the tokens.
        crate::limits::check_nesting(sql).map_err(|why| Invalid::new("sql", why))?;
        let accesses = Arc::new(self.accessible(actor).await?);
        let ctx = self.session(&accesses, opts).await?;
        // Parsing, planning (constant folding included) and execution all run on a runtime of
        // its own: they never hold up the server's threads, the caller is answered at the time
        // limit whatever the work is doing, and work that does not pause keeps a slot taken
        // until its threads have ended, so it cannot pile up.
        // The time limit counts from here: waiting for a slot, then the work.
        let deadline = tokio::time::Instant::now() + opts.timeout;
        let slot = self.live.claim(actor, deadline).await?;
        let runtime = QueryRuntime::new(slot)?;
        let seen: Arc<std::sync::OnceLock<Vec<usize>>> = Arc::default();
        let row_limit = opts.row_limit;
        let statement = sql.to_string();
        let work = {
            let accesses = Arc::clone(&accesses);
            let seen = Arc::clone(&seen);
            async move {
                let read = referenced(&ctx, &statement, &accesses)?;
                let _ = seen.set(read.clone());
                Ok::<_, Error>((read, execute(ctx, statement, row_limit).await))
            }
        };
        let Some(task) = runtime.spawn(work) else {
            return Err(Error::Query(QueryError::Failed(
                "the query runtime is gone".into(),
            )));
        };
        let outcome = tokio::time::timeout_at(deadline, task).await;
        drop(runtime);
        let picked =
            |ids: &[usize]| -> Vec<&Access> { ids.iter().filter_map(|&i| accesses.get(i)).collect() };
        let (read, (columns, batches, rows, truncated)) = match outcome {
            Err(_) => {
                let read = picked(seen.get().map(Vec::as_slice).unwrap_or_default());
                self.record_timeout(actor, sql, opts, &read).await?;
                return Err(Error::Query(QueryError::Timeout(opts.timeout.as_secs())));
            }
            Ok(Err(joined)) => return Err(Error::Query(QueryError::Failed(joined.to_string()))),
            Ok(Ok(Err(e))) => {
                if let Error::Forbidden { why } = &e {
                    self.record_refusal(actor, sql, &why.to_string()).await?;
                }
                return Err(e);
            }
            Ok(Ok(Ok((ids, Err(e))))) => {
                let e = explain(e, &picked(&ids));
                if let Error::Forbidden { why } = &e {
                    self.record_refusal(actor, sql, &why.to_string()).await?;
                }
                return Err(e);
            }
            Ok(Ok(Ok((ids, Ok(done))))) => (picked(&ids), done),
        };
        let resources: Vec<String> = read.iter().map(|a| a.resource.code.clone()).collect();
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let id = self
            .record_query(actor, sql, opts, &read, rows, truncated, elapsed_ms)
            .await?;
        Ok(QueryResult {
            id,
            columns,
            batches,
            rows,
            truncated,
            resources,
            elapsed_ms,
        })
    }

    /// The session of one query: one policy view per accessible resource, nothing else.
    async fn session(&self, accesses: &[Access], opts: &QueryOptions) -> Result<SessionContext> {
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(GreedyMemoryPool::new(opts.memory_limit)))
            .with_disk_manager_builder(DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled))
            .build_arc()?;
        let config = SessionConfig::new()
            .with_information_schema(true)
            .with_target_partitions(2)
            .with_batch_size(crate::BATCH_ROWS);
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        crate::limits::cap_functions(&ctx);
        for a in accesses {
            let scan = self.scan(&a.resource.code, a.resource.current_version).await?;
            let view = policy_view(scan, a, &self.fields)?;
            ctx.register_table(
                TableReference::bare(a.resource.code.clone()),
                Arc::new(ViewTable::new(view, None)),
            )?;
        }
        Ok(ctx)
    }

    /// The scan of one stored version (planned once, then reused).
    async fn scan(&self, code: &str, version: u32) -> Result<LogicalPlan> {
        let key = (code.to_owned(), version);
        if let Some(plan) = self.scans.plans.lock().map_err(poisoned)?.get(&key) {
            return Ok(plan.clone());
        }
        let dir = self.local_version(code, version).await?;
        let mut path = dir.to_string_lossy().into_owned();
        if !path.ends_with('/') {
            path.push('/');
        }
        let plan = self
            .scans
            .reader
            .read_parquet(path, ParquetReadOptions::default())
            .await?
            .into_unoptimized_plan();
        self.scans
            .plans
            .lock()
            .map_err(poisoned)?
            .insert(key, plan.clone());
        Ok(plan)
    }

    #[allow(clippy::too_many_arguments)]
    async fn record_query(
        &self,
        actor: &Principal,
        sql: &str,
        opts: &QueryOptions,
        read: &[&Access],
        rows: usize,
        truncated: bool,
        elapsed_ms: u64,
    ) -> Result<String> {
        let id = tongban_kernel::id::new_uuid_v7();
        let bases: BTreeMap<String, String> = read
            .iter()
            .map(|a| (a.resource.code.clone(), a.basis.code().to_owned()))
            .collect();
        let codes: Vec<&str> = read.iter().map(|a| a.resource.code.as_str()).collect();
        let purpose = opts.purpose.trim();
        let mut tx = self.catalog.db().begin_write().await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &QueryRan {
                    resources: bases,
                    purpose: purpose.to_owned(),
                    rows,
                    truncated,
                    elapsed_ms,
                    sql: sql_for_event(sql),
                },
                &id,
                actor.department.as_ref(),
                msg!(
                    "pool-query-join2-returned",
                    join = codes.join("、"),
                    join2 = codes.join(", "),
                    rows = rows
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A query stopped at its time limit ran nonetheless: recorded with what it read.
    async fn record_timeout(
        &self,
        actor: &Principal,
        sql: &str,
        opts: &QueryOptions,
        read: &[&Access],
    ) -> Result<()> {
        let id = tongban_kernel::id::new_uuid_v7();
        let codes: Vec<&str> = read.iter().map(|a| a.resource.code.as_str()).collect();
        let mut tx = self.catalog.db().begin_write().await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &QueryTimedOut {
                    resources: codes.iter().map(|c| (*c).to_owned()).collect(),
                    purpose: opts.purpose.trim().to_owned(),
                    timeout_s: opts.timeout.as_secs(),
                    sql: sql_for_event(sql),
                },
                &id,
                actor.department.as_ref(),
                msg!(
                    "pool-query-join2-stopped",
                    join = codes.join("、"),
                    join2 = codes.join(", ")
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_refusal(&self, actor: &Principal, sql: &str, why: &str) -> Result<()> {
        let id = tongban_kernel::id::new_uuid_v7();
        let mut tx = self.catalog.db().begin_write().await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &QueryRefused {
                    reason: why.to_owned(),
                    sql: sql_for_event(sql),
                },
                &id,
                actor.department.as_ref(),
                msg!("pool-query-refused"),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The SQL as an event keeps it: the shape of the query, not the values it looked for — every
/// quoted value keeps its first character only (`'张三'` → `'张*'`, an address, a name), personal
/// numbers outside quotes are masked — at most [`SQL_IN_EVENT`] characters.
fn sql_for_event(sql: &str) -> String {
    let mut shaped = String::with_capacity(sql.len());
    let mut quoted: Option<usize> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (None, '\'') => {
                quoted = Some(0);
                shaped.push(c);
            }
            // `''` inside a literal is a quote character, not its end.
            (Some(n), '\'') if chars.peek() == Some(&'\'') => {
                chars.next();
                shaped.push(if n == 0 { '\'' } else { '*' });
                quoted = Some(n + 1);
            }
            (Some(_), '\'') => {
                quoted = None;
                shaped.push(c);
            }
            (Some(n), _) => {
                shaped.push(if n == 0 { c } else { '*' });
                quoted = Some(n + 1);
            }
            (None, _) => shaped.push(c),
        }
    }
    tongban_text::mask_pii(&shaped)
        .chars()
        .take(SQL_IN_EVENT)
        .collect()
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> Error {
    Error::Io(std::io::Error::other("scan cache lock poisoned"))
}

/// The policy view of one resource over its stored version: the row filter first (on the blind
/// index for a personal field), then only the visible fields, personal ones revealed or masked.
fn policy_view(scan: LogicalPlan, a: &Access, cipher: &FieldCipher) -> Result<LogicalPlan> {
    let mut plan = LogicalPlanBuilder::from(scan);
    if let Some(f) = &a.row_filter {
        let field = a.resource.field(&f.field).ok_or_else(|| Error::Forbidden {
            why: msg!("row-filter-field-gone", field = f.field),
        })?;
        let filter = if field.sensitivity == tongban_catalog::Sensitivity::Personal {
            let keys = f
                .values
                .iter()
                .map(|v| lit(blind_index_of(cipher, field, v)))
                .collect();
            ident(bidx_column(&field.code)).in_list(keys, false)
        } else {
            let values = f.values.iter().map(|v| lit(v.clone())).collect();
            cast(ident(field.code.clone()), DataType::Utf8).in_list(values, false)
        };
        plan = plan.filter(filter)?;
    }
    let mut exprs: Vec<Expr> = Vec::with_capacity(a.fields.len() * 2);
    for f in &a.fields {
        exprs.extend(projection(&a.resource.code, f, cipher));
    }
    Ok(plan.project(exprs)?.build()?)
}

/// The view's columns for one field.
fn projection(code: &str, f: &FieldAccess, cipher: &FieldCipher) -> Vec<Expr> {
    let name = f.field.code.clone();
    if !f.personal() {
        return vec![ident(name)];
    }
    let reveal = Reveal::new(code, f, cipher.clone());
    let shown = ScalarUDF::new_from_impl(reveal)
        .call(vec![cast(ident(name.clone()), DataType::Utf8)])
        .alias(name.clone());
    let key = cast(ident(bidx_column(&name)), DataType::Utf8).alias(bidx_column(&name));
    vec![shown, key]
}

/// Decrypts a personal column inside the engine and masks it unless the grant allows clear text.
/// Registered nowhere: only a policy view can call it.
#[derive(Debug)]
struct Reveal {
    name: String,
    cipher_name: String,
    field: tongban_catalog::ResourceField,
    clear: bool,
    cipher: FieldCipher,
    signature: Signature,
}

impl Reveal {
    fn new(code: &str, f: &FieldAccess, cipher: FieldCipher) -> Self {
        let clear = f.shown == Shown::Clear;
        Self {
            name: format!(
                "__tongban_{}_{}_{}",
                if clear { "clear" } else { "mask" },
                code,
                f.field.code
            ),
            cipher_name: personal::cipher_name(code, &f.field),
            field: f.field.clone(),
            clear,
            cipher,
            signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
        }
    }

    fn reveal(&self, stored: &str) -> std::result::Result<String, DataFusionError> {
        let plain = self.cipher.decrypt(&self.cipher_name, stored).map_err(|e| {
            DataFusionError::Execution(
                msg!(
                    "could-not-decrypt-personal",
                    field = self.field.code,
                    e = e.to_string()
                )
                .to_string(),
            )
        })?;
        Ok(if self.clear {
            plain
        } else {
            personal::mask(&self.field, &plain)
        })
    }
}

impl PartialEq for Reveal {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Reveal {}

impl Hash for Reveal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for Reveal {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> datafusion::common::Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::common::Result<ColumnarValue> {
        let rows = args.number_rows;
        let Some(input) = args.args.into_iter().next() else {
            return Err(DataFusionError::Internal("reveal takes one argument".into()));
        };
        let array = input.into_array(rows)?;
        let Some(stored) = array.as_string_opt::<i32>() else {
            return Err(DataFusionError::Internal("reveal expects text".into()));
        };
        let out = stored
            .iter()
            .map(|v| v.map(|s| self.reveal(s)).transpose())
            .collect::<std::result::Result<StringArray, _>>()?;
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// The answer to EXPLAIN: one row, the query's plan over the policy views as the caller wrote it
/// (views not expanded, nothing optimized into storage terms).
fn policy_plan(plan: &LogicalPlan) -> (Vec<Column>, Vec<RecordBatch>, usize, bool) {
    let columns = vec![
        Column {
            name: "plan_type".into(),
            data_type: DataType::Utf8.to_string(),
        },
        Column {
            name: "plan".into(),
            data_type: DataType::Utf8.to_string(),
        },
    ];
    let schema = Arc::new(arrow::datatypes::Schema::new(vec![
        arrow::datatypes::Field::new("plan_type", DataType::Utf8, false),
        arrow::datatypes::Field::new("plan", DataType::Utf8, false),
    ]));
    let batch = RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from(vec!["logical_plan"])),
            Arc::new(StringArray::from(vec![plan.display_indent().to_string()])),
        ],
    );
    match batch {
        Ok(b) => (columns, vec![b], 1, false),
        Err(_) => (columns, Vec::new(), 0, false),
    }
}

/// The accessible resources a statement reads, as positions in `accesses`; a table it may not
/// see is refused by name.
fn referenced(ctx: &SessionContext, sql: &str, accesses: &[Access]) -> Result<Vec<usize>> {
    let state = ctx.state();
    let statement = state
        .sql_to_statement(sql, &Dialect::Generic)
        .map_err(|e| explain(e, &[]))?;
    let refs = state
        .resolve_table_references(&statement)
        .map_err(|e| explain(e, &[]))?;
    let mut read: Vec<usize> = Vec::new();
    for r in refs {
        let table = r.table();
        // The catalog of what may be read, and row generators (generate_series, range).
        if r.schema() == Some("information_schema") || state.table_functions().contains_key(table) {
            continue;
        }
        match accesses.iter().position(|a| a.resource.code == table) {
            Some(i) => {
                if !read.contains(&i) {
                    read.push(i);
                }
            }
            None => {
                let shown: String = table.chars().take(64).collect();
                if let Some(a) = accesses
                    .iter()
                    .find(|a| a.resource.code.eq_ignore_ascii_case(table))
                {
                    return Err(Error::Query(QueryError::Sql(msg!(
                        "quote-table-name",
                        table = a.resource.code
                    ))));
                }
                return Err(Error::Forbidden {
                    why: msg!("query-table-not-permitted", table = shown),
                });
            }
        }
    }
    Ok(read)
}

/// What a query returns: its columns, its batches, how many rows and whether it was cut.
type Done = (Vec<Column>, Vec<RecordBatch>, usize, bool);

/// Plans and runs one statement in its session, at most `row_limit` rows.
async fn execute(ctx: SessionContext, statement: String, row_limit: usize) -> Result<Done, DataFusionError> {
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let df = ctx.sql_with_options(&statement, options).await?;
    // A plan is shown at the level of the policy: the query over the views the caller may
    // read, never the files, their statistics or the columns the views leave out.
    match df.logical_plan() {
        LogicalPlan::Analyze(_) => {
            return Err(DataFusionError::Plan(
                "EXPLAIN ANALYZE is not supported here: it runs the query and shows storage details; use EXPLAIN".into(),
            ));
        }
        LogicalPlan::Explain(e) => return Ok(policy_plan(&e.plan)),
        _ => {}
    }
    let columns: Vec<Column> = df
        .schema()
        .fields()
        .iter()
        .map(|f| Column {
            name: f.name().clone(),
            data_type: f.data_type().to_string(),
        })
        .collect();
    // One row past the limit tells a cut result from a complete one.
    let df = df.limit(0, Some(row_limit + 1))?;
    let mut stream = df.execute_stream().await?;
    let mut batches = Vec::new();
    let mut rows = 0usize;
    let mut truncated = false;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        let room = row_limit - rows;
        if batch.num_rows() > room {
            truncated = true;
            if room > 0 {
                batches.push(batch.slice(0, room));
            }
            rows += room;
            break;
        }
        rows += batch.num_rows();
        batches.push(batch);
    }
    Ok((columns, batches, rows, truncated))
}

/// Most queries whose threads may run at once, and most for one person; more wait for a slot
/// within their time limit. A query's threads end at its first pause after it is answered or
/// stopped; work that does not pause (parsing a pathological statement, planning) keeps its
/// slot until it ends, so such work can take a bounded share of the machine, never pile up.
pub const LIVE_QUERIES: usize = 4;
/// See [`LIVE_QUERIES`].
pub const LIVE_QUERIES_EACH: usize = 2;

/// The queries whose threads still run, in all and by who asked.
#[derive(Debug, Default)]
pub(crate) struct LiveQueries {
    by_actor: Mutex<HashMap<String, usize>>,
    /// Woken whenever a slot is given back.
    freed: tokio::sync::Notify,
}

impl LiveQueries {
    /// A slot for one more query by `actor`, waiting for one to be given back until `deadline`;
    /// then a refusal saying to try again.
    async fn claim(self: &Arc<Self>, actor: &Principal, deadline: tokio::time::Instant) -> Result<LiveSlot> {
        loop {
            // Registered before looking, so a slot given back in between still wakes us.
            let freed = self.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            match self.try_claim(actor) {
                Err(Error::Query(QueryError::Busy { .. })) if tokio::time::Instant::now() < deadline => {
                    if tokio::time::timeout_at(deadline, freed).await.is_err() {
                        return self.try_claim(actor);
                    }
                }
                other => return other,
            }
        }
    }

    /// A slot for one more query by `actor` now, or a refusal saying to wait.
    fn try_claim(self: &Arc<Self>, actor: &Principal) -> Result<LiveSlot> {
        let mut by_actor = self.counts();
        let total: usize = by_actor.values().sum();
        let mine = by_actor.get(&actor.id).copied().unwrap_or(0);
        if total >= LIVE_QUERIES || mine >= LIVE_QUERIES_EACH {
            return Err(Error::Query(QueryError::Busy {
                mine: mine >= LIVE_QUERIES_EACH,
            }));
        }
        *by_actor.entry(actor.id.clone()).or_default() += 1;
        Ok(LiveSlot {
            live: Arc::clone(self),
            actor: actor.id.clone(),
        })
    }

    /// How many queries' threads run now.
    pub(crate) fn running(&self) -> usize {
        self.counts().values().sum()
    }

    /// The counts, also after a thread panicked holding them: each change is one whole step, so
    /// they are never left half made, and refusing every query from then on (or never giving
    /// a slot back) would be worse than the panic.
    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.by_actor
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One query's place among the live ones, given back when dropped.
#[derive(Debug)]
struct LiveSlot {
    live: Arc<LiveQueries>,
    actor: String,
}

impl Drop for LiveSlot {
    fn drop(&mut self) {
        let mut by_actor = self.live.counts();
        if let Some(n) = by_actor.get_mut(&self.actor) {
            *n -= 1;
            if *n == 0 {
                by_actor.remove(&self.actor);
            }
        }
        drop(by_actor);
        self.live.freed.notify_waiters();
    }
}

/// The runtime one query runs on: two threads of its own, so that its parsing, planning and
/// execution cannot hold up the server or other queries. When the query ends or runs out of
/// time the runtime is shut down without waiting: its tasks are dropped at their next pause and
/// its threads end with them, while the caller is answered at once; its [`LiveSlot`] is given
/// back when the last thread has ended.
struct QueryRuntime(Option<tokio::runtime::Runtime>);

impl QueryRuntime {
    fn new(slot: LiveSlot) -> Result<QueryRuntime> {
        // The runtime keeps its thread hooks until its last thread has ended: the slot lives
        // in one of them, so it is given back exactly then.
        let slot = Arc::new(slot);
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("pool-query")
            .enable_all()
            .on_thread_stop(move || {
                let _ = &slot;
            })
            .build()
            .map(|rt| QueryRuntime(Some(rt)))
            .map_err(|e| {
                Error::Query(QueryError::Failed(format!(
                    "the query runtime did not start: {e}"
                )))
            })
    }

    fn spawn<F>(&self, work: F) -> Option<tokio::task::JoinHandle<F::Output>>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0.as_ref().map(|rt| rt.spawn(work))
    }
}

impl Drop for QueryRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// Why a query could not run.
#[derive(Debug)]
pub enum QueryError {
    /// The SQL does not parse (a position and what was found there) or plan (DataFusion's
    /// message, which names the problem).
    Sql(Msg),
    /// Only SELECT, WITH and EXPLAIN may run.
    /// (The engine's words, for the log.)
    NotAQuery(String),
    /// It ran past the time limit.
    Timeout(u64),
    /// A function was asked to build or compare more than one call may (see [`crate::limits`]).
    OverLimit {
        /// The function and what it asked for, in Chinese (`repeat：结果超过…的上限`).
        zh: String,
        /// The same in English.
        en: String,
    },
    /// It needed more memory than allowed.
    Memory,
    /// Too many queries are running (or still stopping): [`LIVE_QUERIES`] in all,
    /// [`LIVE_QUERIES_EACH`] for one person (`mine`).
    Busy {
        /// Whether it is the asker's own queries that are running.
        mine: bool,
    },
    /// Execution failed (a file could not be read, a value could not be decrypted…).
    Failed(String),
}

impl QueryError {
    /// Why, for a person.
    pub fn message(&self) -> Msg {
        match self {
            QueryError::Sql(e) => msg!("sql-error", cause = e),
            QueryError::NotAQuery(_) => msg!("not-a-query"),
            QueryError::Timeout(s) => msg!("query-timeout", seconds = *s),
            QueryError::OverLimit { zh, en } => msg!("query-over-limit", what = Arg::name(zh, en)),
            QueryError::Memory => msg!("query-needs-more-memory"),
            QueryError::Busy { mine: true } => msg!("your-earlier-queries-are"),
            QueryError::Busy { mine: false } => msg!("too-many-queries-are"),
            QueryError::Failed(e) => msg!("query-failed", cause = e),
        }
    }
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.message().fmt(f)
    }
}

impl std::error::Error for QueryError {}

/// A DataFusion error in the caller's terms: a field it may not see becomes a refusal naming
/// it; everything else keeps DataFusion's message.
fn explain(e: DataFusionError, read: &[&Access]) -> Error {
    let root = e.find_root();
    match root {
        DataFusionError::SchemaError(schema, _) => {
            let SchemaError::FieldNotFound { field, .. } = schema.as_ref() else {
                return Error::Query(QueryError::Sql(Msg::from(root.to_string())));
            };
            let name = field.name();
            let hidden = read
                .iter()
                .any(|a| a.resource.field(name).is_some() && a.field(name).is_none());
            if hidden {
                Error::Forbidden {
                    why: msg!("field-name-not-granted", name = name),
                }
            } else {
                Error::Query(QueryError::Sql(Msg::from(root.to_string())))
            }
        }
        DataFusionError::SQL(parser, _) => Error::Query(QueryError::Sql(syntax_message(&parser.to_string()))),
        DataFusionError::ResourcesExhausted(_) => Error::Query(QueryError::Memory),
        DataFusionError::External(e) if e.is::<crate::limits::OverLimit>() => {
            match e.downcast_ref::<crate::limits::OverLimit>() {
                Some(o) => Error::Query(QueryError::OverLimit {
                    zh: format!("{}：{}", o.function, o.zh),
                    en: format!("{}: {}", o.function, o.en),
                }),
                None => Error::Query(QueryError::Sql(Msg::from(e.to_string()))),
            }
        }
        DataFusionError::Plan(msg) if msg.contains("not supported") => {
            Error::Query(QueryError::NotAQuery(msg.clone()))
        }
        DataFusionError::Execution(msg) => Error::Query(QueryError::Failed(msg.clone())),
        DataFusionError::ArrowError(..)
        | DataFusionError::ParquetError(..)
        | DataFusionError::IoError(..) => Error::Query(QueryError::Failed(root.to_string())),
        other => Error::Query(QueryError::Sql(Msg::from(other.to_string()))),
    }
}

/// A parser error as people read it: where (line and column) and what was found there, instead
/// of the parser's `ParserError("Expected: …, found: … at Line: 1, Column: 8")`.
fn syntax_message(raw: &str) -> Msg {
    let text = raw
        .trim_start_matches("sql parser error: ")
        .trim_start_matches("SQL error: ");
    let position = text.rsplit_once(" at Line: ").and_then(|(head, tail)| {
        let (line, column) = tail.split_once(", Column: ")?;
        let line: u32 = line.trim().parse().ok()?;
        let column: u32 = column
            .trim()
            .trim_end_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .ok()?;
        Some((head, line, column))
    });
    match position {
        Some((head, line, column)) => {
            let found = head
                .rsplit_once("found: ")
                .map(|(_, f)| f.trim().to_string())
                .unwrap_or_default();
            if found.is_empty() {
                msg!("syntax-error-near-line", column = column, line = line)
            } else {
                msg!(
                    "syntax-error-near-line-2",
                    column = column,
                    found = found,
                    line = line
                )
            }
        }
        None => msg!("syntax-error-text", text = text),
    }
}

impl From<DataFusionError> for Error {
    fn from(e: DataFusionError) -> Self {
        explain(e, &[])
    }
}

#[cfg(test)]
mod event_tests {
    use super::sql_for_event;

    #[test]
    fn the_event_keeps_the_shape_of_the_sql_not_the_values_looked_for() {
        assert_eq!(
            sql_for_event("SELECT * FROM t WHERE name = '张三' AND addr LIKE '%文三路90号%' AND x = 'it''s'"),
            "SELECT * FROM t WHERE name = '张*' AND addr LIKE '%*******' AND x = 'i***'"
        );
        assert_eq!(
            sql_for_event("SELECT 1 WHERE phone = 13800138000"),
            "SELECT 1 WHERE phone = 138****8000"
        );
        assert_eq!(sql_for_event("SELECT ''"), "SELECT ''");
    }
}

#[cfg(test)]
mod live_tests {
    use super::{LIVE_QUERIES, LIVE_QUERIES_EACH, LiveQueries, QueryError, QueryRuntime};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::{Duration, Instant};
    use tongban_kernel::Principal;

    #[test]
    fn a_query_keeps_its_slot_until_its_threads_have_ended_even_if_it_never_pauses() {
        let live = Arc::new(LiveQueries::default());
        let who = Principal::system("test");
        let spin = Arc::new(AtomicBool::new(true));
        let runtime = QueryRuntime::new(live.try_claim(&who).unwrap()).unwrap();
        let spinning = Arc::clone(&spin);
        let started = Arc::new(AtomicBool::new(false));
        let running = Arc::clone(&started);
        // Work that never pauses, as a pathological parse or plan would be.
        let _ = runtime.spawn(async move {
            running.store(true, Ordering::Relaxed);
            while spinning.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        });
        // Stopped once it runs (a task that has not started is simply dropped, slot and all).
        let deadline = Instant::now() + Duration::from_secs(10);
        while !started.load(Ordering::Relaxed) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(runtime);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(live.running(), 1, "the spinning thread still holds its slot");
        let more: Vec<_> = (1..LIVE_QUERIES_EACH)
            .map(|_| live.try_claim(&who).unwrap())
            .collect();
        let Err(crate::Error::Query(QueryError::Busy { mine: true })) = live.try_claim(&who) else {
            panic!("one person's live queries are capped");
        };
        drop(more);
        spin.store(false, Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_secs(10);
        while live.running() > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(live.running(), 0, "given back once the thread ended");
    }

    #[tokio::test]
    async fn a_query_waits_for_a_slot_within_its_time_and_then_is_told_to_try_again() {
        let live = Arc::new(LiveQueries::default());
        let who = Principal::system("busy");
        let held: Vec<_> = (0..LIVE_QUERIES_EACH)
            .map(|_| live.try_claim(&who).unwrap())
            .collect();
        let soon = tokio::time::Instant::now() + Duration::from_millis(100);
        let Err(crate::Error::Query(QueryError::Busy { mine: true })) = live.claim(&who, soon).await else {
            panic!("no slot came back in time");
        };
        let waiting = {
            let live = Arc::clone(&live);
            let who = who.clone();
            tokio::spawn(async move {
                live.claim(&who, tokio::time::Instant::now() + Duration::from_secs(10))
                    .await
                    .is_ok()
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(held);
        assert!(
            waiting.await.unwrap(),
            "a slot given back goes to the one waiting"
        );
    }

    #[test]
    fn all_live_queries_are_capped_whoever_asks() {
        let live = Arc::new(LiveQueries::default());
        let slots: Vec<_> = (0..LIVE_QUERIES)
            .map(|i| live.try_claim(&Principal::system(&format!("p{i}"))).unwrap())
            .collect();
        let Err(crate::Error::Query(QueryError::Busy { mine: false })) =
            live.try_claim(&Principal::system("late"))
        else {
            panic!("the live queries are capped in all");
        };
        drop(slots);
        assert_eq!(live.running(), 0);
        assert!(live.try_claim(&Principal::system("late")).is_ok());
    }

    #[test]
    fn a_thread_that_panicked_holding_the_counts_costs_no_slot() {
        let live = Arc::new(LiveQueries::default());
        let who = Principal::system("poisoner");
        let slot = live.try_claim(&who).unwrap();
        let held = Arc::clone(&live);
        let _ = std::thread::spawn(move || {
            let _counts = held.by_actor.lock();
            panic!("a thread dies holding the counts");
        })
        .join();
        assert!(live.by_actor.is_poisoned());
        drop(slot);
        assert_eq!(live.running(), 0, "the slot was given back");
        let again: Vec<_> = (0..LIVE_QUERIES)
            .map(|i| live.try_claim(&Principal::system(&format!("p{i}"))).unwrap())
            .collect();
        assert_eq!(live.running(), LIVE_QUERIES, "queries are still admitted");
        drop(again);
    }
}
