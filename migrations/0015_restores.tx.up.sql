-- A revert may put a whole record back as it was at a moment instead of
-- undoing one change: it names that moment (change_id is then 0), and the
-- change Trail records for its write names it too.
ALTER TABLE reverts ADD COLUMN moment timestamptz;
ALTER TABLE history ADD COLUMN restores_moment timestamptz;
