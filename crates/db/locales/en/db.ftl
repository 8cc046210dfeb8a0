### Messages of tongban-db for people, in English. Each id is a code the crate's
### msg!("…") names; every id is in every language (the crate's tests check it).

not-permitted-enter-holiday = not permitted to enter holiday schedules
calendar-data-malformed-m = calendar data malformed: { $m }
no-year-given = no year given
year-ships-release-cannot = { $year } ships with this release and cannot be changed
entered-year-holiday-calendar = entered the { $year } holiday calendar ({ $holidays } holidays)
