-- A service item's English name for English pages (empty: none yet; the Chinese name is shown,
-- marked as Chinese).
ALTER TABLE hall_items ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
