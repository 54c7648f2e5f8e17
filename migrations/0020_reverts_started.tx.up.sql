-- A revert's write may be seen by the drain before the revert is finished:
-- reverts that started writing wait for their change too.
DROP INDEX reverts_unrecorded_idx;
CREATE INDEX reverts_unrecorded_idx ON reverts (portal_id, entity, entity_id)
    WHERE state IN ('applying', 'done') AND recorded_change_id IS NULL;
