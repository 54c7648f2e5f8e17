-- A baseline that lists several ID ranges at once keeps each range's
-- progress here, as pairs: the last ID stored of the range, then the
-- range's last ID (0: open-ended). NULL while it lists one range in ID
-- order, whose progress is last_id.
ALTER TABLE sync_state ADD COLUMN ranges bigint[];
