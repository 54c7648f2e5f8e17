-- CRM types are keyed by the portal's entityTypeId (1 lead, 2 deal,
-- 3 contact, 4 company, 7 quote, 31 smart invoice, 128 and up for smart
-- processes, whose ids each portal chooses) instead of a closed list of
-- names, so that any type the portal has can be recorded. integer, not
-- smallint: it would save nothing (the bigint that follows it in every key
-- is aligned to 8 bytes) and would cap the ids.
--
-- Cost: each of history, snapshots, inbox, sync_state and portal_settings is
-- rewritten once, its indexes rebuilt once, under an exclusive lock (one
-- ALTER TABLE per table, its check validated in the same pass). history is
-- the large one: its rewrite costs about what copying it and building its
-- indexes again would (2 million rows, 640 MB with indexes: some 10 s), and
-- holds back its writers and readers for that long.

-- Names as Trail stored them; anything else is NULL, which NOT NULL turns
-- into a failed migration rather than a lost row. Not STRICT, so that it is
-- inlined instead of called once per history row.
CREATE FUNCTION pg_temp.crm_type(name text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE name WHEN 'lead' THEN 1 WHEN 'deal' THEN 2 WHEN 'contact' THEN 3 WHEN 'company' THEN 4 END
$$;

-- A settings list keeps its order; names Trail never knew were already
-- passed over when read, and are dropped.
CREATE FUNCTION pg_temp.crm_types(names text[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT coalesce(array_agg(pg_temp.crm_type(n) ORDER BY i), '{}')
    FROM unnest(names) WITH ORDINALITY AS u (n, i)
    WHERE pg_temp.crm_type(n) IS NOT NULL
$$;

ALTER TABLE history
    ALTER COLUMN entity TYPE integer USING pg_temp.crm_type(entity),
    ADD CONSTRAINT history_entity_check CHECK (entity > 0);

ALTER TABLE snapshots
    ALTER COLUMN entity TYPE integer USING pg_temp.crm_type(entity),
    ADD CONSTRAINT snapshots_entity_check CHECK (entity > 0);

ALTER TABLE inbox
    DROP CONSTRAINT inbox_entity_check,
    ALTER COLUMN entity TYPE integer USING pg_temp.crm_type(entity),
    ADD CONSTRAINT inbox_entity_check CHECK (entity > 0);

ALTER TABLE sync_state
    ALTER COLUMN entity TYPE integer USING pg_temp.crm_type(entity),
    ADD CONSTRAINT sync_state_entity_check CHECK (entity > 0);

-- ignored_fields: entityTypeId (as a JSON key, "2") -> field codes.
UPDATE portal_settings SET ignored_fields = (
    SELECT coalesce(jsonb_object_agg(coalesce(pg_temp.crm_type(key)::text, key), value), '{}')
    FROM jsonb_each(ignored_fields))
WHERE ignored_fields <> '{}';

ALTER TABLE portal_settings
    ALTER COLUMN entities DROP DEFAULT,
    ALTER COLUMN entities TYPE integer[] USING pg_temp.crm_types(entities),
    ALTER COLUMN entities SET DEFAULT '{2,1,3,4}',
    ADD CONSTRAINT portal_settings_entities_check CHECK (0 < ALL (entities)),
    ALTER COLUMN tabs DROP DEFAULT,
    ALTER COLUMN tabs TYPE integer[] USING pg_temp.crm_types(tabs),
    ALTER COLUMN tabs SET DEFAULT '{2,1,3,4}',
    ADD CONSTRAINT portal_settings_tabs_check CHECK (0 < ALL (tabs));

-- Field metadata and pipelines are kept per type as fields:2, categories:2.
UPDATE portal_meta SET kind = split_part(kind, ':', 1) || ':' || pg_temp.crm_type(split_part(kind, ':', 2))
WHERE kind ~ '^(fields|categories):(lead|deal|contact|company)$';

DROP FUNCTION pg_temp.crm_types(text[]);
DROP FUNCTION pg_temp.crm_type(text);
