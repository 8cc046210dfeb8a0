### Messages of tongban-text for people, in English. Each id is a code the crate's
### msg!("…") names; every id is in every language (the crate's tests check it).

not-empty = must not be empty
not-number-write-e = not a number; write e.g. 1234.5, 1,234.5, 3.5万 or 12.5%
misplaced-thousands-separators-three = misplaced thousands separators (three digits between commas)
number-after-unit-needs = a number after a unit needs its own unit (write 12万5千, not 12万5)
number-too-large-too = number too large or too precise
not-finite-number = not a finite number
spreadsheet-error-value-not = this is a spreadsheet error value, not a number
may-contain-only-digits = may contain only digits and X
may-contain-only-digits-2 = may contain only digits and capital letters
looks-like-spreadsheet-turned = looks like a spreadsheet turned it into scientific notation (e.g. 1.10105E+17) and lost the digits; export the column as text
contains-nul-bytes = contains NUL bytes
too-many-control-characters = too many control characters
neither-utf-8-nor = neither UTF-8 nor GB18030
gender-1-male-2 = gender must be 1 male, 2 female, 0 unknown or 9 unstated
y-n-1-0 = must be 是/否, Y/N, 1/0 or true/false
not-allowed-value-allowed = not an allowed value; allowed: { $list }
code-not-blank = a code must not be blank
not-recognised-date-write = not a recognised date; write e.g. 2026-01-02 or 2026年1月2日
not-recognised-date-time = not a recognised date and time; write e.g. 2026-01-02 08:30:00
date-only-expected-without = a date only is expected, without a time of day
year-1000-later = the year must be 1000 or later
no-such-time-day = no such time of day (hours 0–23, minutes and seconds 0–59)
vague-phrasing-say-what = vague phrasing: say what will be done
mentions-relevant-department-without = mentions “the relevant department” without naming it
no-concrete-next-step = no concrete next step, date or contact
reply-does-not-address = the reply does not address the question's key terms
contains-inappropriate-word = contains an inappropriate word
contains-someone-s-personal = contains someone's personal data (ID number, phone, name)
spelling-would-mean-both = “{ $spelling }” would mean both { $other } and { $v }
not-a-text-file = not a text file: { $cause }
read-failed = read failed: { $cause }
no-such-day = no such date: { $year }-{ $month2 } has no day { $day }
no-such-month = no such date: there is no month { $month }
