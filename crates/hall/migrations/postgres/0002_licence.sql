-- Items that end in an e-licence say which (type, title, the form fields printed on it and the
-- ones naming the holder); a completed case records the number of the licence it produced.
ALTER TABLE hall_items ADD COLUMN licence TEXT;
ALTER TABLE hall_cases ADD COLUMN licence_number TEXT;
