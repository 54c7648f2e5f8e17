-- When each field that joined a record's stored state after tracking began
-- did: field code → the moment of the change that first held it. A field
-- added to the portal and left empty leaves no history row, so without this
-- the record as of an earlier moment would show it empty instead of not
-- known. NULL: every field was known since tracking began.
ALTER TABLE snapshots ADD COLUMN learned jsonb;
