-- History rows made small (db.HistoryRow, db/history_codes.go):
--
-- - action, change_kind and source are two-byte codes (db.HistoryCode)
--   instead of words;
-- - a value that is one kind and its text (nearly all) is stored as a tag
--   letter and the text, "TOrder 12" for {"kind": "text", "text": "Order 12"},
--   in a text column; product rows and multi-field items have forms of
--   their own; anything else keeps its JSON, as text;
-- - the fixed-width columns come first, widest first, so no byte is padding;
-- - id goes: nothing refers to a row, and seq (the row's place in its
--   change) keeps the order the rows were recorded in; its primary key
--   index goes with it;
-- - recorded_at goes: no reader of Trail's uses it.
--
-- change_kind and source keep their defaults (changed, unknown) as codes.
--
-- history_record_idx stays: the tab and as-of read a record's rows
-- through it. history_portal_idx holds a change once (its first row, seq
-- 0) instead of each row: the feed, the settings chart and the retention
-- prune find a portal's changes by time through it, then a change's rows
-- through the first. Both
-- are ascending now (read backwards for newest first): a new row goes
-- after its record's and its portal's last entry, where a full page
-- splits to leave the old half full, instead of before the first, where
-- it splits in two halves and leaves both half empty.
--
-- Cost: the table is copied once and its two indexes built once, under a
-- lock that lets readers through but holds back writers (drains wait, then
-- go on). The words and values are translated by the inlined functions
-- below; a word Trail never wrote (NULL) fails the migration rather than
-- losing a row.

LOCK TABLE history IN SHARE MODE;

CREATE FUNCTION pg_temp.action_code(word text) RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE word WHEN 'created' THEN 1 WHEN 'updated' THEN 2 WHEN 'deleted' THEN 3 END::smallint
$$;

CREATE FUNCTION pg_temp.change_kind_code(word text) RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE word WHEN 'changed' THEN 1 WHEN 'added' THEN 2 WHEN 'removed' THEN 3 WHEN 'item_changed' THEN 4 END::smallint
$$;

CREATE FUNCTION pg_temp.source_code(word text) RETURNS smallint
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE word WHEN 'unknown' THEN 1 WHEN 'person' THEN 2 WHEN 'automation' THEN 3
        WHEN 'integration' THEN 4 WHEN 'revert' THEN 5 END::smallint
$$;

-- The tag of a kind whose value is its text alone; NULL for the others.
CREATE FUNCTION pg_temp.value_tag(kind text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE kind WHEN 'empty' THEN 'E' WHEN 'text' THEN 'T' WHEN 'number' THEN 'N' WHEN 'money' THEN 'M'
        WHEN 'bool' THEN 'B' WHEN 'date' THEN 'D' WHEN 'datetime' THEN 'S' WHEN 'id' THEN 'I'
        WHEN 'file' THEN 'F' WHEN 'json' THEN 'J' WHEN 'unknown' THEN 'U' END
$$;

-- Is v a string without the separator (absent counts as "")?
CREATE FUNCTION pg_temp.plain(v jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(jsonb_typeof(v), 'string') = 'string' AND position(chr(31) IN coalesce(v #>> '{}', '')) = 0
$$;

-- A value of a tagged kind and a text becomes the tag and the text; a
-- product row "R", id, separator, text; a multi-field item "P", id,
-- separator, value type, separator, text; anything else stays its JSON.
CREATE FUNCTION pg_temp.compact_value(v jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN jsonb_typeof(v) <> 'object' OR jsonb_typeof(v -> 'kind') IS DISTINCT FROM 'string'
            OR coalesce(jsonb_typeof(v -> 'text'), 'string') <> 'string'
        THEN v::text
        WHEN v - 'kind' - 'text' = '{}'::jsonb AND pg_temp.value_tag(v ->> 'kind') IS NOT NULL
        THEN pg_temp.value_tag(v ->> 'kind') || coalesce(v ->> 'text', '')
        WHEN v ->> 'kind' = 'row' AND v - 'kind' - 'id' - 'text' = '{}'::jsonb AND pg_temp.plain(v -> 'id')
        THEN 'R' || coalesce(v ->> 'id', '') || chr(31) || coalesce(v ->> 'text', '')
        WHEN v ->> 'kind' = 'item' AND v - 'kind' - 'id' - 'value_type' - 'text' = '{}'::jsonb
            AND pg_temp.plain(v -> 'id') AND pg_temp.plain(v -> 'value_type')
        THEN 'P' || coalesce(v ->> 'id', '') || chr(31) || coalesce(v ->> 'value_type', '') || chr(31) || coalesce(v ->> 'text', '')
        ELSE v::text
    END
$$;

CREATE TABLE history_compact (
    portal_id         bigint      NOT NULL REFERENCES installations (id) ON DELETE CASCADE,
    entity_id         bigint      NOT NULL,
    change_id         bigint      NOT NULL,
    changed_at        timestamptz NOT NULL,
    author_id         bigint,
    entity            integer     NOT NULL CONSTRAINT history_entity_check CHECK (entity > 0),
    utc_offset        integer     CONSTRAINT history_utc_offset_check CHECK (utc_offset BETWEEN -86400 AND 86400),
    action            smallint    NOT NULL CONSTRAINT history_action_check CHECK (action BETWEEN 1 AND 3),
    change_kind       smallint    NOT NULL DEFAULT 1 CONSTRAINT history_change_kind_check CHECK (change_kind > 0),
    source            smallint    NOT NULL DEFAULT 1 CONSTRAINT history_source_check CHECK (source > 0),
    seq               smallint    NOT NULL DEFAULT 0 CONSTRAINT history_seq_check CHECK (seq >= 0),
    field             text        NOT NULL DEFAULT '',
    item_key          text        NOT NULL DEFAULT '',
    old_value         text,
    new_value         text,
    reverts_change_id bigint,
    restores_moment   timestamptz,
    restored_from     bigint,
    reverts_bulk_id   bigint
);

INSERT INTO history_compact
SELECT portal_id, entity_id, change_id, changed_at, author_id, entity, utc_offset,
    pg_temp.action_code(action), pg_temp.change_kind_code(change_kind), pg_temp.source_code(source),
    row_number() OVER (PARTITION BY portal_id, change_id ORDER BY id) - 1,
    field, item_key, pg_temp.compact_value(old_value), pg_temp.compact_value(new_value),
    reverts_change_id, restores_moment, restored_from, reverts_bulk_id
FROM history
ORDER BY changed_at, change_id, id;

DROP TABLE history;
ALTER TABLE history_compact RENAME TO history;
ALTER TABLE history RENAME CONSTRAINT history_compact_portal_id_fkey TO history_portal_id_fkey;
CREATE INDEX history_record_idx ON history (portal_id, entity, entity_id, changed_at, change_id);
CREATE INDEX history_portal_idx ON history (portal_id, changed_at) WHERE seq = 0;

DROP FUNCTION pg_temp.compact_value(jsonb);
DROP FUNCTION pg_temp.plain(jsonb);
DROP FUNCTION pg_temp.value_tag(text);
DROP FUNCTION pg_temp.source_code(text);
DROP FUNCTION pg_temp.change_kind_code(text);
DROP FUNCTION pg_temp.action_code(text);
