-- A baseline lists records 50 a page, but a record's product rows (and, for
-- contacts and companies, their links) take one command per record. The
-- baseline stores the listed fields at the listing's speed and notes here
-- each record whose snapshot still lacks those reads; a later, low-priority
-- phase (or the first drain that fetches the record) fills them in and
-- removes the row.
CREATE TABLE pending_extras (
    portal_id bigint  NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    entity    integer NOT NULL CHECK (entity > 0),
    entity_id bigint  NOT NULL,
    PRIMARY KEY (portal_id, entity, entity_id)
);

-- The extras phase of each type's baseline: where it stands and the last
-- record it handled, so that a stopped worker goes on from there.
ALTER TABLE sync_state
    ADD COLUMN extras_state       text   NOT NULL DEFAULT 'done' CHECK (extras_state IN ('pending', 'running', 'done')),
    ADD COLUMN extras_total       bigint NOT NULL DEFAULT 0,
    ADD COLUMN extras_done        bigint NOT NULL DEFAULT 0,
    ADD COLUMN extras_last_id     bigint NOT NULL DEFAULT 0,
    ADD COLUMN extras_started_at  timestamptz,
    ADD COLUMN extras_finished_at timestamptz;
