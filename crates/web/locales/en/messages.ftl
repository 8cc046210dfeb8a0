# Messages the web layer itself refuses or rejects with (kernel::Msg codes); page texts are
# in the other files. Every code here is used by a msg!(..) in src, in both languages.

## Problems (API errors, src/problem.rs)
authentication-required = authentication required
not-found = not found
service-unavailable-nothing-lost = service unavailable; nothing saved was lost
request-body-too-large = request body too large
method-not-allowed = method not allowed
request-timed-out = request timed out
use-application-json = use application/json
request-not-processed = request could not be processed
title-bad-request = Bad request
title-unauthorized = Unauthorized
title-forbidden = Forbidden
title-not-found = Not found
title-method-not-allowed = Method not allowed
title-request-timeout = Request timeout
title-conflict = Conflict
title-payload-too-large = Payload too large
title-unsupported-media-type = Unsupported media type
title-locked = Locked
title-too-many-requests = Too many requests
title-server-error = Server error

## JSON bodies (src/json.rs)
send-content-type-json = send Content-Type: application/json
could-not-read-body = could not read the body
malformed-json-at = malformed JSON at line { $line } column { $column }
field-missing-or-mistyped = { $reason }

## JSON API (src/api)
exchange-api-for-systems = the exchange API is for department systems (client tokens)
push-api-for-systems = the push API is for department systems (client tokens)
token-lacks-scope = the token lacks the `{ $scope }` scope
too-many-calls-retry-in = too many calls: retry in { $wait } s
state-purpose-in-header = state the purpose in X-Purpose
whole-number-1-to = a whole number 1–{ $max }
version-number = a version number
body-must-be-records = the body must be {"{"}"records": [objects…]{"}"}: { $error }
unknown-value = unknown value
not-valid-base64 = not valid base64
complete-two-step-first = complete two-step verification first (POST /api/v1/auth/mfa)
code-is-6-digits = the code is 6 digits
limit-is-1-to = limit is 1–{ $max }
offset-at-most = offset is at most { $max }
client-tokens-expire = client tokens expire by themselves
unknown-role = unknown role
unknown-role-named = unknown role: { $role }
only-staff-hold-roles = only staff accounts hold roles

## Open311 GeoReport v2 (src/open311)
malformed-what = malformed { $what }
given-more-than-once = { $name } is given more than once
what-not-found = { $what } not found
service-unavailable = service unavailable
api-key-invalid-or-revoked = api_key is invalid or revoked
open311-contact = Tongban citizen interaction — contact the platform operator
api-keys-issued-by-operator = API keys are issued by the platform operator
citizen-interaction = citizen interaction
unknown-service-code = unknown service_code
service-request-id-not-found = service_request_id not found
token-not-found = token not found
extensions-true-or-false = extensions must be true or false
iso-8601-with-zone = { $name } must be an ISO 8601 date-time with zone, e.g. 2026-01-01T00:00:00Z
whole-number-from-1-to = { $name } must be a whole number from 1 to { $max }
status-open-or-closed = status must be open or closed
wgs84-degrees = { $name } must be a WGS84 number of degrees
malformed-attribute-parameter = malformed attribute parameter
attribute-given-twice = given twice; use attribute[{ $code }][] for several values
send-form-urlencoded = send application/x-www-form-urlencoded
api-key-required-to-file = an api_key is required to file a service request
received-reply-within = received; a reply within { $days } working days

## Console: holiday calendar
day-must-be-in-year = the day must be in { $year }
write-day-as-y-m-d = write the day as Y-m-d
name-the-holiday = name the holiday
holiday-name-up-to-20 = a holiday's name is up to 20 plain characters
last-day-before-first = the last day cannot be before the first
not-permitted-holiday-schedules = not permitted to enter holiday schedules
choose-the-year = choose the year

## Console: cases
no-case-handling-role = you hold no case-handling role
no-such-user = there is no such user
give-number-of-working-days = give the number of working days
choose-why-clock-stops = choose why the clock stops
choose-what-to-do = choose what to do with the application
unknown-action = unknown action
fill-in = fill in { $what }
choose-why-see-it = choose why you need to see it

## Console: approvals, data catalog, department systems, egress allow-list
only-admin-approves-admin-roles = only an administrator may approve administrator roles
must-belong-to-department = you must belong to a department
date-must-be-y-m-d = date must be Y-m-d
not-permitted-manage-systems = not permitted to manage department systems
name-the-system = name the system
choose-a-department = choose a department
give-its-scopes = give its scopes
give-its-redirect-uris = give its redirect URIs
not-permitted-manage-allow-list = not permitted to manage the destination allow-list
say-what-it-is-for = say what it is for

## Console: citizen interaction
choose-transfer-department = choose the department
choose-assisting-department = choose the department
interaction-rule-rights-required = interaction rule management rights required
choose-the-kind = choose the kind
must-be-working-days = must be a number of working days
choose-the-department = choose the department

## Console: service items and workflows
service-item-rights-required = service item management rights required
only-your-departments-items = only your departments' items
must-be-whole-number = must be a whole number
choose-kind-of-item = choose the kind of item
shared-data-written-resource-field = shared data is written resource.field
give-longest-text = give the longest text in characters
write-range-min-max = write the range as min..max
choose-field-type = choose the field's type
prefill-source-written-resource-field = the prefill source is written resource.field
amount-in-yuan = the amount is in yuan, e.g. 12.50
validity-whole-years = the validity is a whole number of years
choose-step-kind = choose the step's kind
choose-department-from-list = choose a department from the list
give-how-many-must-agree = give how many must agree
limit-working-days = the limit is a number of working days

## Console: data pool (uploads, column mapping, pulls, queries)
only-provider-uploads-data = only the providing department uploads data
only-provider-sets-mapping = only the providing department sets the column mapping
only-provider-configures-pulls = only the providing department configures pulls
interval-in-minutes = the interval is a number of minutes
choose-a-file = choose a file

## Console: staff accounts
enter-a-user-name = enter a user name
enter-name-to-show = enter the name to show
choose-first-password = choose a first password

## Console: consultations and surveys
department-admin-publishes = a department administrator publishes consultations and surveys
no-such-department = no such department
a-date-is-y-m-d = a date is Y-m-d
block-heading-without-text = block { $block } has a heading but no text
question-type-must-be = line { $line }: the type must be single, multiple, rating or text
not-permitted-query-pool = not permitted to query the data pool
unknown-action-field = unknown action

## Console: seals, supervision, usage
seal-or-licence-rights-required = seal management or licence issuing rights required
must-be-date-such-as = must be a date such as 2026-01-01
choose-kind-of-seal = choose the kind of seal
supervising-needed = supervising cases is needed
date-like-yyyy-mm-dd = a date like 2026-11-23

## Pages: requests the server cannot read
staff-role-required = staff role required
form-could-not-be-read = the form could not be read: { $error }
address-value-unreadable = a value in the address cannot be read

## Portal: sign-in, registration, activation, citizen interaction
enter-your-user-name = enter your user name
enter-your-password = enter your password
enter-your-full-name = enter your full name
enter-resident-id-number = enter your resident ID number
choose-a-user-name = choose a user name
choose-a-password = choose a password
repeat-the-password = repeat the password
passwords-differ = the passwords differ
fill-in-your-user-name = enter your user name
enter-activation-code = enter the activation code
choose-a-new-password = choose a new password
passwords-do-not-match = the passwords do not match
enter-a-title = enter a title
describe-the-matter = describe the matter
