-- The drain job the events handler last enqueued (or found) for a portal.
-- For every group of events it commits, the handler asks which portals
-- already have a drain waiting or running (jobs/intake.go); following this
-- id to river_job's primary key answers that with plans that cannot go
-- wrong, where a search of river_job by kind and args depends on its
-- statistics. Not a foreign key: River prunes finished jobs.
ALTER TABLE installations ADD COLUMN drain_job bigint;
