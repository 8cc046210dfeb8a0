### Messages of tongban-db for people, in Chinese. Each id is a code the crate's
### msg!("…") names; every id is in every language (the crate's tests check it).

not-permitted-enter-holiday = 无权录入节假日安排
calendar-data-malformed-m = 节假日数据格式错误：{ $m }
no-year-given = 没有年份
year-ships-release-cannot = { $year } 年为随版本发布的官方数据，不能修改
entered-year-holiday-calendar = 录入 { $year } 年节假日安排（{ $holidays } 个假期）
