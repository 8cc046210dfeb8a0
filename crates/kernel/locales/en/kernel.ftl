### Messages of tongban-kernel for people, in English. Each id is a code the crate's
### msg!("…") names; every id is in every language (the crate's tests check it).

not-empty = must not be empty
no-control-characters = must not contain control characters
too-long = must have at most { $max } characters
not-valid-id = not a valid id
cidr-expected = an address or range such as 10.20.0.0/16
cidr-too-wide = the range is too wide: at least /{ $min }
cidr-holds-metadata = the range holds a cloud metadata address (169.254.169.254), which is never allowed
file-empty = the file is empty
file-too-large = the file must be at most { $mib } MiB
only-pdf-png-jpeg = only PDF, PNG or JPEG files are accepted
file-content-not-declared = the file's content does not match its declared type
image-file-damaged = the image file is damaged
clock-has-finished = the clock has finished
clock-already-stopped = the clock is already stopped
date-before-last-clock = date before the last clock change
resumed-before-stopped = resumed before it stopped
clock-not-stopped = the clock is not stopped
contains-non-digits = contains non-digits
id-needs-18 = must have 18 characters
only-digits-and-x = only digits and X are allowed
id-first-17-digits = the first 17 characters must be digits
birth-date-not-real = the birth date is not a real date
wrong-check-digit = wrong check digit
credit-code-needs-18 = must have 18 letters or digits
credit-code-bad-character = contains a character not allowed (no I, O, Z, S, V)
wrong-check-character = wrong check character
not-a-phone = not a valid mobile or landline number
date-format = not a real date: write year-month-day, such as 2026-01-31
date-out-range = date out of range
holidays-not-entered = holidays for { $year } have not been entered
calendar-malformed = calendar data malformed: { $detail }
