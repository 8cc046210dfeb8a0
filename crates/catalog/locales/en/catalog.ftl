### Messages of tongban-catalog for people, in English. Each id is a code the crate's
### msg!("…") names; every id is in every language (the crate's tests check it).

grant-least-one-field = grant at least one field
field-shown-was-not = field `{ $shown }` was not requested
row-filter-use-field = the row filter must use a field of the resource
row-filter-needs-1 = a row filter needs 1–{ $max_filter_values } values
shown-not-granted-personal = `{ $shown }` is not a granted personal field
clear-text-personal-data = clear-text personal data needs a justification
clear-text-personal-data-2 = clear-text personal data cannot be granted for query and analysis
grant-cannot-outlast-validity = a grant cannot outlast the validity requested
grant-run-past-today = the grant must run past today
another-grant-was-made = another grant was made meanwhile; try again
not-permitted-see-grant = not permitted to see this grant
not-permitted-see-grants = not permitted to see grants
not-permitted-revoke-grant = not permitted to revoke this grant
grant-already-revoked = the grant is already revoked
detail-code-needs-item = a detail code needs an item code
least-one-field-required = at least one field is required
most-max-fields-fields = at most { $max_fields } fields
resource-not-shared-between = a resource not shared between departments cannot be opened
resource-personal-fields-cannot = a resource with personal fields cannot be open to all
most-50-related-resources = at most 50 related resources
resource-cannot-relate-itself = a resource cannot relate to itself
most-20-keywords = at most 20 keywords
range-applies-numeric-fields = a range applies to numeric fields only
range-needs-minimum-maximum = a range needs a minimum or a maximum
bounds-finite = bounds must be finite
minimum-exceeds-maximum = the minimum exceeds the maximum
pattern-applies-string-fields = a pattern applies to string fields only
enumeration-needs-1-500 = an enumeration needs 1–500 values
repeated-values = repeated values
retired-resource-takes-no = a retired resource takes no new data
quality-score-between-0 = the quality score must be between 0 and 1
diff-summary-json-object = the diff summary must be a JSON object
diff-summary-most-64 = the diff summary must be at most 64 KB
next-version-expected = the next version must be { $expected }
another-version-was-recorded = another version was recorded meanwhile
http-s-url = must be an http(s):// URL
request-was-handled-meanwhile = the request was handled meanwhile; reload it
refusal-needs-reasons-most = a refusal needs reasons (at most 2000 characters)
resource-not-published = the resource is not published
department-need-not-request = a department need not request its own resource
resource-has-been-retired = the resource has been retired
only-provider-s-refusal = only a provider's refusal can be disputed
not-permitted-see-request = not permitted to see this request
not-permitted-see-sharing = not permitted to see sharing requests
choose-least-one-field = choose at least one field
code-sql-keyword = `{ $code }` is an SQL keyword
must-be-1-32-z-0 = must be 1–32 of a-z, 0-9 and _
classification-code-1-8 = a classification code is 1–8 letters or digits
malformed-department-path = malformed department path
not-permitted-see-resource = not permitted to see this resource
resource-code-already-exists = a resource with this code already exists
retired-resource-cannot-edited = a retired resource cannot be edited
code-cannot-change-once = the code cannot change once published or holding data
resource-already-retired = the resource is already retired
resource-was-changed-meanwhile = the resource was changed meanwhile; reload and try again
request-resource-already-progress = a request for this resource is already in progress
replaced-grant-id = replaced by grant { $id }
granted-path-resource-resource = granted { $path } resource { $resource_code } ({ $fields } fields, until { $expires_on })
revoked-grant-resource-code = revoked the grant of { $resource_code } to { $path }
field-code-f-repeated = field code `{ $f }` is repeated
rule-rule-repeated = rule `{ $rule }` is repeated
resource-r-version-version = resource { $r } version { $version } recorded ({ $row_count } rows)
request-status2-so-cannot = the request is { $status2 }, so it cannot be { $verb2 }
sharing-event = { $what }: { $code } (requester { $requester })
resource-resource-has-no = resource { $resource } has no field `{ $shown }`
catalogued-resource-r-r3 = catalogued resource { $r } { $r3 }
edited-resource-r-revision = edited resource { $r } (revision { $revision })
only-draft-can-published = only a draft can be published (now { $status2 })
verb2-resource-r = { $verb2 } resource { $r }
not-found = { $what ->
    [resource] resource
    [request] sharing request
    [grant] grant
    [version] version
   *[other] { $what }
} not found
cannot-count-deadline = cannot count the deadline: { $cause }
storage-failed = storage error: { $cause }
resource-code-form = the resource code must be 3–64 letters or digits, separated by single -
field-code-form = a field code must start with a-z and use only a-z, 0-9 and _, at most 63 characters
validity-end-within = the validity must end after today and within { $years } years
