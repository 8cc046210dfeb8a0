-- Reports on consultation comments weigh by the reporting account's age: 0 for an account made
-- that day, 1 under 30 days, 2 from then on. A comment is hidden for review when its reports
-- weigh 6 (three established accounts), so accounts made for the purpose cannot hide it.
ALTER TABLE interact_comment_reports ADD COLUMN weight INTEGER NOT NULL DEFAULT 2;
