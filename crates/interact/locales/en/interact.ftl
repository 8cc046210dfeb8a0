### Messages of tongban-interact for people, in English. Each id is a code the crate's
### msg!("…") names; every id is in every language (the crate's tests check it).

only-submitter-may-rate = only the submitter may rate the reply
only-unsatisfied-rating-may = only an unsatisfied rating may reopen the item
item-can-reopened-only = an item can be reopened only once
already-rated = already rated
not-permitted-see-rectification = not permitted to see the rectification list
rectification-already-done = the rectification is already done
choice-needs-2-max = a choice needs 2–{ $max_options } options
answer-does-not-fit = the answer does not fit the question
rating-1-5 = a rating is 1 to 5
most-max-answer-characters = at most { $max_answer } characters
sign-verified-citizen-business = sign in with a verified citizen or business account to answer
survey-has-1-max = a survey has 1–{ $max_questions } questions
closing-day-cannot-before = the closing day cannot be before the opening day
survey-not-open-answers = the survey is not open for answers
no-such-question = no such question
you-have-already-answered = you have already answered this survey
submitted = submitted
item-not-public = the item is not public
not-permitted-run-escalations = not permitted to run escalations
not-permitted-see-escalations = not permitted to see escalations
already-acknowledged = already acknowledged
please-sign = please sign in
draft-has-1-200 = a draft has 1–200 sections
consultation-not-open-comments = the consultation is not open for comments
no-such-section = no such section
you-have-already-reported = you have already reported this comment
comment-not-waiting-review = this comment is not waiting for review
no-such-group-comments = no such group of comments
give-reason-when-not = give the reason when not (fully) adopted
not-permitted-see-possible = not permitted to see possible duplicates
item-cannot-merged-into = an item cannot be merged into itself
no-such-item-merge = no such item to merge into
target-was-itself-merged = the target was itself merged
field-not-decryptable = an encrypted field could not be decrypted
item-was-changed-meanwhile = the item was changed meanwhile; reload it
not-permitted-reply-item = not permitted to reply to this item
reply-cannot-approved-own = a reply cannot be approved by its own author
reply-not-awaiting-review = the reply is not awaiting review
cannot-transfer-same-department = cannot transfer to the same department
cannot-ask-same-department = cannot ask the same department to assist
department-was-already-asked = that department was already asked and has not answered
request-was-already-answered = the request was already answered
unknown-category = unknown category
category-code-taken = the category code is taken
limit-1-max-limit = the limit must be 1–{ $max_limit_days } working days
not-permitted-see-routing = not permitted to see routing rules
staff-accounts-cannot-submit = staff accounts cannot submit items; use the hotline channel
without-signing-only-suggestions = without signing in only suggestions may be submitted; please sign in
not-permitted-see-items = not permitted to see items
anonymous-submission-needs-source = an anonymous submission needs its source key
not-permitted-see-item = not permitted to see this item
only-handling-department-may = only the handling department may act on this item
not-permitted-see-assistance = not permitted to see assistance requests
not-permitted-enter-holiday = not permitted to enter holiday schedules
most-mark-limit-time = at most { $mark_limit } at a time
read-changed-notifications = read { $changed } notifications
number-has-moved = { $number } has moved
most-max-attachments-attachments = at most { $max_attachments } attachments
attachment-cannot-decrypted = the attachment cannot be decrypted
category-code-1-64 = a category code is 1–64 of letters, digits, _ . -
district-code-most-32 = a district code is at most 32 letters, digits or -
malformed-department-path = malformed department path
latitude-between-90-90 = latitude must be between -90 and 90 (WGS84)
longitude-between-180-180 = longitude must be between -180 and 180 (WGS84)
latitude-needs-longitude = a latitude needs a longitude
longitude-needs-latitude = a longitude needs a latitude
not-valid-e-mail = not a valid e-mail address
phone-number-needed-phone = a phone number is needed for phone or text contact
e-mail-address-needed = an e-mail address is needed for e-mail contact
service-has-no-such = this service has no such attribute
attribute-given-twice = attribute given twice
attribute-takes-one-value = this attribute takes one value
attribute-required = this attribute is required
order-positive-integer-used = order must be a positive integer used once
code-used-twice = code used twice
list-attributes-need-choices = list attributes need choices and only they have them
end-date-before-start = end_date is before start_date
start-date-end-date = start_date and end_date may not span more than 90 days
valid-open311-api-key = a valid Open311 api_key is required
service-code-required = service_code is required
media-url-http-s = media_url must be an http(s) URL
reply-within-days-working = a reply within { $days } working days
name-1-64-z = the name must be 1–64 of A-Z a-z 0-9 _ . -
active-key-name-exists = an active key with this name exists; revoke it first
issued-open311-key-name = issued Open311 key: { $name }
revoked-open311-key-name = revoked Open311 key: { $name }
status-forbids-rating = the item's status is "{ $status }", so it cannot be rated
rectification-done-item-number = rectification done: { $item_number }
question-needs-answer = this question needs an answer
published-survey = published a survey
answered-survey = answered a survey
escalation-opened = { $level } ({ $subject }): { $item_number }, due { $due_on }
escalation-acknowledged = acknowledged ({ $level }): { $item_number }
opened-consultation = opened a consultation
commented = commented
reported-comment = reported a comment
moderated-comment = moderated a comment
published-feedback-report = published the feedback report
status-forbids-merge = the item's status is "{ $status }", so it cannot be merged
item-moved = Your item { $number } { $what }
status-forbids-reply = the item's status is "{ $status }", so it cannot be replied to
replied-again-id = replied again ({ $id })
status-forbids = the item's status is "{ $status }", so it cannot be { $verb }
path-answered-assistance-request = { $path } answered an assistance request
category-added = added category { $code }
category-changed = changed category { $code }
set-kind2-limit-days = set the { $kind } limit to { $days } working days
rule-set = routing rule: { $category } { $district } -> { $path }
rule-removed = removed the routing rule for { $category }
rectification-due-date-changed = rectification due date changed from { $old } to { $new }: { $item_number }
value-not-valid-datatype2 = the value is not a valid { $datatype }
set-service-attributes-category = set service attributes: { $category }
not-found = { $what ->
    [item] item
    [category] category
    [rule] routing rule
    [reply] reply
    [assist] assistance request
    [rectification] rectification
    [escalation] escalation
    [notification] message
   *[other] { $what }
} not found
cannot-count-limit = cannot count the time limit: { $cause }
storage-failed = storage error: { $cause }
too-many-anonymous-submissions = too many anonymous submissions from here; try again in an hour or sign in
location-required = a location is required: lat and long, address_string or address_id
