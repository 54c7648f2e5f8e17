-- Bulk reverts: an administrator puts back, in one job, every change one
-- person made within a time window (optionally of one type and one field).
-- The job writes with the administrator's own Bitrix24 token, kept sealed
-- here while the job runs; it pauses when the portal no longer takes it.
CREATE TABLE bulk_reverts (
    portal_id   bigint      NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    id          bigserial,
    user_id     bigint      NOT NULL, -- the administrator who started it
    author_id   bigint      NOT NULL, -- whose changes are put back
    entity      integer     NOT NULL DEFAULT 0, -- 0: every type
    field       text        NOT NULL DEFAULT '', -- '': every field
    from_at     timestamptz NOT NULL,
    to_at       timestamptz NOT NULL,
    state       text        NOT NULL CHECK (state IN ('running', 'paused', 'done')),
    paused_why  text        NOT NULL DEFAULT '',
    token       bytea,                -- sealed; NULL once done
    total       integer     NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    PRIMARY KEY (portal_id, id),
    CHECK (from_at < to_at)
);
CREATE INDEX bulk_reverts_recent_idx ON bulk_reverts (portal_id, created_at DESC);

-- One row per record of a bulk revert: its progress (so a job killed
-- mid-way resumes and writes no record twice) and, once done, its outcome.
CREATE TABLE bulk_revert_records (
    portal_id bigint  NOT NULL,
    bulk_id   bigint  NOT NULL,
    entity    integer NOT NULL CHECK (entity > 0),
    entity_id bigint  NOT NULL,
    -- pending; writing: its write was sent, a re-read tells whether it landed; done.
    state     text    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'writing', 'done')),
    outcome   text    NOT NULL DEFAULT '', -- restored, skipped, conflict, refused
    reason    text    NOT NULL DEFAULT '',
    fields    jsonb,                       -- per field: current, target, outcome and why
    change_id bigint  NOT NULL DEFAULT 0,  -- the first change put back
    PRIMARY KEY (portal_id, bulk_id, entity, entity_id),
    FOREIGN KEY (portal_id, bulk_id) REFERENCES bulk_reverts (portal_id, id) ON DELETE CASCADE
);
CREATE INDEX bulk_revert_records_todo_idx ON bulk_revert_records (portal_id, bulk_id, entity, entity_id)
    WHERE state <> 'done';

-- A record's revert written by a bulk revert names it, and so does the
-- change Trail records for that write.
ALTER TABLE reverts ADD COLUMN bulk_id bigint;
ALTER TABLE history ADD COLUMN reverts_bulk_id bigint;
