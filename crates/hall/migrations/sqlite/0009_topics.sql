-- How the portal browses services: by topic (主题) and by life event (人生事件), each a
-- comma-separated list of codes (empty: none).
ALTER TABLE hall_items ADD COLUMN topics TEXT NOT NULL DEFAULT '';
ALTER TABLE hall_items ADD COLUMN life_events TEXT NOT NULL DEFAULT '';
