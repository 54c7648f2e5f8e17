-- Reverts: a person asked Trail to put fields of a record back as they were
-- before a change. One row per preview (its key makes a double submit write
-- once), kept as the audit of who reverted what, when, and what became of
-- each field. The drain matches the change the portal reports after a
-- revert's write to its row, so that change is recorded as a revert.
CREATE TABLE reverts (
    portal_id         bigint      NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    id                bigserial,
    key               text        NOT NULL,
    user_id           bigint      NOT NULL,
    entity            integer     NOT NULL CHECK (entity > 0),
    entity_id         bigint      NOT NULL,
    change_id         bigint      NOT NULL,
    field             text        NOT NULL DEFAULT '', -- '' for the whole change
    state             text        NOT NULL CHECK (state IN ('previewed', 'applying', 'done')),
    fields            jsonb       NOT NULL,            -- per field: current, target, outcome and why
    created_at        timestamptz NOT NULL DEFAULT now(),
    done_at           timestamptz,
    -- The change Trail recorded for the revert's write; NULL until the drain sees it.
    recorded_change_id bigint,
    PRIMARY KEY (portal_id, id),
    UNIQUE (portal_id, key)
);
CREATE INDEX reverts_unrecorded_idx ON reverts (portal_id, entity, entity_id)
    WHERE state = 'done' AND recorded_change_id IS NULL;
CREATE INDEX reverts_recent_idx ON reverts (portal_id, created_at DESC);

-- The change a revert put back; NULL for every other change.
ALTER TABLE history ADD COLUMN reverts_change_id bigint;
