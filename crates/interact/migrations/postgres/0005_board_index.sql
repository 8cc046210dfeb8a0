-- The public board reads the newest published entries, optionally of one category or kind, in
-- index order (newest reply first, then id) and counts them from the index alone.
CREATE INDEX interact_items_board_all ON interact_items (is_public, published_ms, id);
CREATE INDEX interact_items_board_category ON interact_items (category, is_public, published_ms, id);
CREATE INDEX interact_items_board_kind ON interact_items (kind, is_public, published_ms, id);
