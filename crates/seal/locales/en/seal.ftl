### Messages of tongban-seal for people, in English. Each id is a code the crate's
### msg!("…") names; every id is in every language (the crate's tests check it).

licence-type-code-2 = the licence type code must be 2–64 lower-case letters, digits or `-`
most-max-fields-lines = at most { $max_fields } lines
duplicate-label = duplicate label
only-case-department-s = only the case department's own seal may sign its licence
no-such-seal = no such seal
seal-s-key-was = the seal's key was replaced; use its successor
last-valid-day-not = the last valid day must not be before the first
licence-already-revoked = the licence is already revoked
only-holder-issuing-department = only the holder and the issuing department may download the licence file
not-json-file = not a JSON file
not-licence-file-no = not a licence file (no document or signature)
file-holds-content-outside = the file holds content outside the signed document
licence-document-malformed = the licence document is malformed
signature-structure-malformed = the signature structure is malformed
seal-certificate-file-differs = the seal certificate in the file differs from the trusted one
seal-s-public-key = the seal's public key is invalid
document-does-not-match = the document does not match the signed digest: it was changed
signature-does-not-verify = the signature does not verify: the signature structure was changed
seal-was-not-valid = the seal was not valid when it signed
expired-valid-until = expired: valid until { $to }
expected-json-object = expected a JSON object
only-integers-are-allowed = only integers are allowed, found { $n }
not-maker-key-file = not a maker key file: { $e }
unknown-format = unknown format
not-seal-certificate-e = not a seal certificate: { $e }
not-revocation-list-e = not a revocation list: { $e }
revocation-list-s-signature = the revocation list's signature does not verify
seal-picture-png-jpeg = the seal picture must be PNG or JPEG
picture-s-content-does = the picture's content does not match its type
end-date-not-before = the end date must not be before the start date
seal-may-valid-most = a seal may be valid for at most { $max_valid_years } years
made-seal-name = made seal { $name }
department-already-has-seal = the department already has a seal of that name
seal-retired-replace-successor = the seal is retired; replace its successor
seal-has-expired-make = the seal has expired; make a new one
seal-was-just-replaced = the seal was just replaced by someone else
department-has-no-seal = the department has no seal valid today; its administrator must make one
seal-valid-valid-from = the seal is valid { $valid_from } to { $valid_to }, not today
issued-e-licence-number = issued e-licence { $number }
revoked-e-licence-number = revoked e-licence { $number }
not-permitted-issuelicences = not permitted: { $issuelicences }
maker-signature-seal-certificate = the maker signature of seal certificate { $seal_id } does not verify
seal-seal-id-not = seal { $seal_id } is not among the trusted seals
licence-revoked = Revoked by the issuer on { $at }: { $why }
valid-issued-issuer-name = valid, issued by { $issuer } ({ $name })
seal-picture-most-max = the seal picture must be at most { $max_picture_bytes } KiB
replaced-key-seal-name = replaced the key of seal { $name }
not-found = { $what ->
    [seal] seal
    [licence] licence
   *[other] { $what }
} not found
key-failed = key error: { $cause }
file-failed = file I/O { $path }: { $cause }
storage-failed = storage error: { $cause }
not-canonical = no canonical form: { $cause }
