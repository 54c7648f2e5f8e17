-- The change-history pipeline. Every table carries portal_id (the
-- installation's id) first in its key, so each query touches one portal.

-- What an admin chose; a missing row means the defaults.
CREATE TABLE portal_settings (
    portal_id      bigint PRIMARY KEY REFERENCES installations (id) ON DELETE CASCADE,
    entities       text[]      NOT NULL DEFAULT '{deal,lead,contact,company}',
    -- entity -> list of field codes an admin chose not to track
    ignored_fields jsonb       NOT NULL DEFAULT '{}',
    tabs           text[]      NOT NULL DEFAULT '{deal,lead,contact,company}',
    retention_days integer     NOT NULL DEFAULT 730 CHECK (retention_days BETWEEN 1 AND 36500),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- Changes Trail has heard of but not yet fetched. Online events, the offline
-- queue and reconciliation all land here; the drain job coalesces by record.
CREATE TABLE inbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    portal_id   bigint      NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    entity      text        NOT NULL CHECK (entity IN ('deal', 'lead', 'contact', 'company')),
    entity_id   bigint      NOT NULL CHECK (entity_id > 0),
    kind        text        NOT NULL CHECK (kind IN ('add', 'update', 'delete')),
    origin      text        NOT NULL CHECK (origin IN ('online', 'offline', 'reconcile')),
    -- what the delivery said about the change's maker (history.Origin)
    user_auth      boolean     NOT NULL DEFAULT false,
    auth_connector text        NOT NULL DEFAULT '',
    actor_id    bigint,
    event_ts    timestamptz,
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_portal_idx ON inbox (portal_id, id);

-- The last known state of each record, as the legacy REST get returns it.
CREATE TABLE snapshots (
    portal_id     bigint      NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    entity        text        NOT NULL,
    entity_id     bigint      NOT NULL,
    data          jsonb       NOT NULL,
    modified_at   timestamptz,
    deleted_at    timestamptz,
    tracked_since timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portal_id, entity, entity_id)
);

-- One row per changed field; rows of one change share change_id.
CREATE TABLE history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    portal_id   bigint      NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    entity      text        NOT NULL,
    entity_id   bigint      NOT NULL,
    change_id   bigint      NOT NULL,
    action      text        NOT NULL CHECK (action IN ('created', 'updated', 'deleted')),
    field       text        NOT NULL DEFAULT '',
    change_kind text        NOT NULL DEFAULT 'changed',
    item_key    text        NOT NULL DEFAULT '',
    old_value   jsonb,
    new_value   jsonb,
    author_id   bigint,
    changed_at  timestamptz NOT NULL,
    source      text        NOT NULL DEFAULT 'unknown',
    recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE SEQUENCE history_change_seq;
CREATE INDEX history_record_idx ON history (portal_id, entity, entity_id, changed_at DESC, change_id DESC);
CREATE INDEX history_portal_idx ON history (portal_id, changed_at DESC);

-- Baseline sync and reconciliation progress per portal and entity.
CREATE TABLE sync_state (
    portal_id      bigint      NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    entity         text        NOT NULL,
    state          text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
    total          bigint      NOT NULL DEFAULT 0,
    done           bigint      NOT NULL DEFAULT 0,
    last_id        bigint      NOT NULL DEFAULT 0,
    error          text        NOT NULL DEFAULT '',
    started_at     timestamptz,
    finished_at    timestamptz,
    -- reconciliation has seen every change modified before this instant
    watermark      timestamptz,
    reconciled_at  timestamptz,
    PRIMARY KEY (portal_id, entity)
);

-- Field metadata, stage names and users, read from the portal.
CREATE TABLE portal_meta (
    portal_id  bigint      NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    data       jsonb       NOT NULL,
    fetched_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (portal_id, kind)
);

-- Every Bitrix24 call Trail made: the marketplace wants them kept >= 3 days.
-- No foreign key: rows are appended in batches and pruned by age.
CREATE TABLE api_calls (
    portal_id   bigint      NOT NULL,
    at          timestamptz NOT NULL,
    method      text        NOT NULL,
    commands    integer     NOT NULL DEFAULT 1,
    http_status integer     NOT NULL DEFAULT 0,
    error_code  text        NOT NULL DEFAULT '',
    duration_ms real        NOT NULL,
    attempt     integer     NOT NULL DEFAULT 1,
    waited_ms   real        NOT NULL DEFAULT 0,
    operating   real
);
CREATE INDEX api_calls_portal_idx ON api_calls (portal_id, at DESC);
CREATE INDEX api_calls_at_idx ON api_calls USING brin (at);

-- Last event heard per portal, for the health panel, without scanning.
ALTER TABLE installations ADD COLUMN last_event_at timestamptz;
