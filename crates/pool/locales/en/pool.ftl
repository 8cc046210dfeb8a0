### Messages of tongban-pool for people, in English. Each id is a code the crate's
### msg!("…") names; every id is in every language (the crate's tests check it).

no-grant-resource-code = no grant on resource { $code }
purpose-required = a purpose (用途) is required
most-200-characters = at most 200 characters
look-up-least-one = look up by at least one field, e.g. ?id_number=…
most-max-filters-filters = at most { $max_filters } filters
between-1-max-records = between 1 and { $max_records }
field-shown-not-granted = field `{ $shown }` is not granted
grant-s-row-filter = the grant's row filter field no longer exists
exchange-read = { $caller } read { $code } { $reads ->
    [one] once
   *[other] { $reads } times
} through the exchange ({ $records } { $records ->
    [one] record
   *[other] records
})
prefill-read = { $caller } read { $code } { $reads ->
    [one] once
   *[other] { $reads } times
} to prefill applications ({ $records } { $records ->
    [one] record
   *[other] records
})
not-permitted-see-exchange = not permitted to see exchange usage
destination-en-not-department = the destination is { $en }, not on the department's allow-list
say-what = say what it is for
most-max-purpose-chars = at most { $max_purpose_chars } characters
range-already-allowed = this range is already allowed
allowed-destinations-cidr = allowed destinations in { $cidr }
destination-s-name-does = the destination's name does not resolve
sheet-full-csv-report = the sheet is full; the CSV report has the rest
writing-xlsx-reject-report = writing the XLSX reject report failed: { $e }
reference-not-checked = reference rule ({ $target }) not checked: { $why }
value-not-found-target = value not found in { $target }
expected-s3-bucket-prefix = expected s3://bucket/prefix or file:///folder
bucket-name-missing = the bucket name is missing
unknown-object-store-setting = unknown object store setting: { $key }
cannot-use-object-store = cannot use the object store: { $e }
file-needs-absolute-path = file:// needs an absolute path
folder-cannot-used-e = the folder cannot be used: { $e }
only-s3-file-are = only s3:// and file:// are supported
bad-prefix-e = bad prefix: { $e }
object-store-error-e = object store error: { $e }
more-rows-than-worksheet = more rows than a worksheet holds: download CSV or Parquet
resource-not-found = resource not found
batch-holds-no-records = the batch holds no records
batch-holds-most-max = a batch holds at most { $max_batch_records } records
load-stopped-e = the load stopped: { $e }
enter-query = enter a query
query-longer-than-max = query longer than { $max_sql_chars } characters
row-limit-positive = the row limit must be positive
pool-query-refused = pool query refused
query-needs-more-memory = the query needs more memory than allowed: narrow it down
your-earlier-queries-are = your earlier queries are still running or stopping: try again shortly
too-many-queries-are = too many queries are running: try again shortly
field-name-not-granted = field `{ $name }` is not granted
syntax-error-near-line = syntax error near line { $line }, column { $column }
syntax-error-near-line-2 = syntax error near line { $line }, column { $column }, at `{ $found }`
syntax-error-text = syntax error: { $text }
callback-url-required = a callback URL is required
most-2000-characters = at most 2000 characters
no-spaces-control-characters = no spaces or control characters
callback-url-start-https = the callback URL must start with https://
no-user-name-password = no user name or password in the URL
url-has-no-host = the URL has no host
callback-use-https-http = the callback must use https (http only to loopback)
only-department-systems-subscribe = only department systems subscribe to changes
most-max-subscriptions-subscriptions = at most { $max_subscriptions } subscriptions per system and resource
required-value-missing = required value missing
range-rule-needs-number = a range rule needs a number
does-not-match-required = does not match the required format
not-one-allowed-values = not one of the allowed values
format-rule-does-not = the format rule does not compile: { $e }
postgres-mysql-url = must be a postgres:// or mysql:// URL
table-table-schema-table = the table is `table` or `schema.table` (letters, digits, _)
cannot-reach-database = cannot reach the database
tls-connection-failed = the TLS connection failed
connection-url-not-valid = the connection URL is not valid
reading-database-failed = reading the database failed
connecting-database-timed-out = connecting to the database timed out
network-address-required-not = a network address is required, not a local socket
table-name-not-valid = the table name is not valid
no-such-table-has = no such table, or it has no columns
interval-5-max-pull = the interval must be 5–{ $max_pull_minutes } minutes
connection-url-cannot-decrypted = the connection URL cannot be decrypted
table-holds-no-rows = the table holds no rows
pull-failed = failed: { $e }
no-such-table = no such table
load-stopped = the load stopped
duplicate-value = duplicate value
resource-has-no-such = the resource has no such field
source-column-named = the source column must be named
no-column-file-feeds = no column in the file feeds this required field
file-has-no-column = the file has no column `{ $column }`
not-valid-xlsx-workbook = not a valid XLSX workbook: { $e }
workbook-has-more-than = the workbook has more than { $max_parts } parts
workbook-damaged-e = the workbook is damaged: { $e }
workbook-damaged-cannot-read = the workbook is damaged and cannot be read
workbook-has-no-worksheet = the workbook has no worksheet
cell-holds-error-value = the cell holds the error value { $e }
not-valid-xlsx-workbook-2 = not a valid XLSX workbook: { $other }
no-json-object-first = no JSON object in the first { $header_lines } lines
not-valid-json-e = not valid JSON: { $e }
batch-holds-no-fields = the batch holds no fields
not-json-object-each = not a JSON object (each line must be one object)
single-value-not-object = must be a single value, not an object or array
file-empty-has-no = the file is empty or has no header row
column-count-mismatch-expected = column count mismatch: expected { $expected }, found { $found }
removed-destinations-cidr = removed destinations in { $cidr }
pool-query-join2-returned = pool query on { $join2 } returned { $rows } rows
pool-query-join2-stopped = pool query on { $join2 } stopped at its time limit
could-not-decrypt-personal = could not decrypt personal field { $field }: { $e }
name-subscribed-new-versions = { $name } subscribed to new versions of { $resource }
name-unsubscribed-from-code = { $name } unsubscribed from { $code }
gave-up-webhook-delivery = gave up a webhook delivery of { $code } after { $attempt } attempts
outside-range-min-max = outside the range [{ $min }, { $max }]
database-refused-message = the database refused: { $message }
scheduled-pull-table-into = scheduled a pull of { $table } into { $resource }
stopped-pull-into-resource = stopped the pull into { $resource_code }
pull-done = done: version { $version }, { $accepted } rows stored, { $rejected } rejected
pull-into-resource-code = a pull into { $resource_code } failed
exists-but-not-recorded = exists but is not recorded; an administrator must check it
saved-column-mapping-resource = saved the column mapping of resource { $resource } ({ $mapping } fields)
workbook-unpacks-more-than = the workbook unpacks to more than { $max_unpacked_bytes } MiB
cell-row-row-column = a cell at row { $row }, column { $column } is beyond the limits ({ $max_rows } rows, { $max_columns } columns)
column-column-has-value = column { $column } has a value but no header
line-too-long-over = line too long (over { $max_line_bytes } MiB)
file-unreadable = file unreadable: { $cause }
source-database-failed = source database: { $cause }
io-failed = I/O error: { $cause }
parquet-failed = parquet error: { $cause }
malformed-csv = malformed CSV: { $cause }
sql-error = SQL error: { $cause }
not-a-query = only queries may run (SELECT, WITH, EXPLAIN)
query-timeout = the query ran longer than { $seconds } s
query-over-limit = the query asks a function for too much: { $what }
query-failed = the query failed: { $cause }
name-parts-at-most = a name has at most { $parts } dotted parts (such as table.field)
brackets-nest-deeper = brackets nest deeper than { $levels } levels: split the query into steps with WITH
source-column-at-most = the source column name must be at most { $chars } characters
mapped-field-gone = { $field }: the saved mapping names a field the resource no longer has; ignored
mapped-column-missing = { $field }: the file has no column “{ $column }” of the saved mapping; matched by name instead
row-filter-field-gone = the grant’s row filter field “{ $field }” no longer exists
query-table-not-permitted = not permitted to query “{ $table }”: no grant on such a resource, or no such resource
unknown-keys-ignored = { $lines } lines had keys not seen in the first { $first } objects; those keys were ignored
legacy-xls-not-supported = legacy Excel (.xls) files are not supported; save the sheet as .xlsx or CSV
json-array-not-lines = the file is a JSON array; write one JSON object per line (JSON Lines)
quote-table-name = quote the table name exactly: "{ $table }"
