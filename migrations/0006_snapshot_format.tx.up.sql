-- How a snapshot was written (history.Format). Rows stored before this
-- migration left empty fields out, so an absent field in them is read as
-- empty where the portal's field list says it was there (1, sparse); rows
-- written from now on keep empty fields as null, so an absent field is one
-- the snapshot does not know (2, full).
ALTER TABLE snapshots ADD COLUMN format smallint NOT NULL DEFAULT 1 CHECK (format IN (1, 2));

-- inbox.event_ts is no longer written: an online event's ts is the
-- sender's word, not a time Trail may record. Kept for processes of the
-- previous release that still insert it during a deploy.
