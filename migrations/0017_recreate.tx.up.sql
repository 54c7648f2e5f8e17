-- A deleted record brought back: a new record with the deleted one's last
-- values. Its reverts row names the deleted record (entity, entity_id) and
-- its deletion (change_id); recreated_id is the record the portal created.
ALTER TABLE reverts ADD COLUMN recreate boolean NOT NULL DEFAULT false;
ALTER TABLE reverts ADD COLUMN recreated_id bigint;
-- A deleted record is brought back once: one restore writes at a time, and
-- none after one created a record. A refused one leaves the way open.
CREATE UNIQUE INDEX reverts_one_recreate_idx ON reverts (portal_id, entity, entity_id)
    WHERE recreate AND (state = 'applying' OR recreated_id IS NOT NULL);
-- The deleted record a record was restored from, on the rows of its creation.
ALTER TABLE history ADD COLUMN restored_from bigint;
-- The settings' list of deleted records, newest deletion first.
CREATE INDEX snapshots_deleted_idx ON snapshots (portal_id, deleted_at DESC, entity DESC, entity_id DESC)
    WHERE deleted_at IS NOT NULL;
