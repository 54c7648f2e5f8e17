-- The app version installed on the portal, as app.info reported it when
-- Trail last confirmed an install or an update. An ONAPPUPDATE is acted on
-- only when app.info reports a higher one. 0: not known (rows from before
-- this column).
ALTER TABLE installations ADD COLUMN app_version integer NOT NULL DEFAULT 0;
