-- The portal's UTC offset when a change was made, in seconds east of UTC,
-- from the portal's own date values (DATE_MODIFY): the tab shows the time as
-- the portal showed it then, daylight saving time included. NULL for rows
-- recorded before, and when the portal's values carried none.
ALTER TABLE history ADD COLUMN utc_offset integer CHECK (utc_offset BETWEEN -86400 AND 86400);
