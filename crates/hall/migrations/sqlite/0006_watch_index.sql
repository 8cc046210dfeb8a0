-- The supervisor's counts read a subtree's open cases with both due days from one index.
CREATE INDEX hall_cases_watch ON hall_cases (is_open, dept_path, due_on, statutory_due_on);
