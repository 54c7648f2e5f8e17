package jobs

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/metrics"
	"github.com/trailhq/trail/db"
)

// The questions about River's jobs that River's client does not answer,
// asked of its river_job table directly. They are kept here, in one place,
// so that an upgrade of River that changes its schema has one file to
// check. Every job of Trail carries its portal as args.portal_id.

// ReclaimOrphans makes the jobs that a previous run of this worker left
// running available again. It must run before the client starts: a process
// that is just starting runs nothing, so any job still marked running under
// its ID was cut off by a crash or a kill. Without it those jobs wait for
// River's rescuer (rescueAfter), and per-portal uniqueness blocks the
// portal's new drains until then. Jobs of other processes are left to the
// rescuer, which can tell a dead process from a slow one only by time.
func ReclaimOrphans(ctx context.Context, d *db.DB, id string) (int64, error) {
	if id == "" {
		return 0, nil
	}
	tag, err := d.Pool.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now()
		WHERE state = 'running' AND attempted_by[array_upper(attempted_by, 1)] = $1`, id)
	if err != nil {
		return 0, fmt.Errorf("jobs: reclaim orphans: %w", err)
	}
	return tag.RowsAffected(), nil
}

// BaselineQueued reports whether a baseline sync of the portal was ever
// enqueued (waiting, running or finished): setup enqueues them as its last
// step, so the installer page can tell setup has finished.
func BaselineQueued(ctx context.Context, q bun.IDB, portalID int64) (bool, error) {
	var queued bool
	err := q.NewRaw(`SELECT EXISTS (SELECT 1 FROM river_job WHERE kind = ? AND args->>'portal_id' = ?)`,
		SyncArgs{}.Kind(), strconv.FormatInt(portalID, 10)).Scan(ctx, &queued)
	if err != nil {
		return false, fmt.Errorf("jobs: baseline queued: %w", err)
	}
	return queued, nil
}

// otherJobRunning reports whether a job of the portal other than job id is
// running.
func otherJobRunning(ctx context.Context, q bun.IDB, id, portalID int64) (bool, error) {
	var busy bool
	err := q.NewRaw(`SELECT EXISTS (SELECT 1 FROM river_job WHERE state = 'running' AND id <> ?
		AND args->>'portal_id' = ?)`, id, strconv.FormatInt(portalID, 10)).Scan(ctx, &busy)
	return busy, err
}

// QueueDrainsPending adds to b the question which of the portals have a
// drain noted on their row (installations.drain_job) that waits or runs:
// the states in which River's unique insert would skip a new one (see
// waiting). Their ids are set in pending when b is sent.
func QueueDrainsPending(b *pgx.Batch, portals []int64, pending map[int64]bool) {
	b.Queue(`SELECT i.id FROM installations i JOIN river_job j ON j.id = i.drain_job
	WHERE i.id = ANY($1) AND j.state IN ('available', 'pending', 'running', 'scheduled', 'retryable')`, portals).Query(func(r pgx.Rows) error {
		for r.Next() {
			var id int64
			if err := r.Scan(&id); err != nil {
				return err
			}
			pending[id] = true
		}
		return r.Err()
	})
}

// deletePortalJobs deletes the portal's jobs that are not running (a purge
// among them is left to finish), in the purge's transaction.
func deletePortalJobs(ctx context.Context, q bun.IDB, portalID int64) (int64, error) {
	res, err := q.NewRaw(`DELETE FROM river_job WHERE args->>'portal_id' = ? AND state <> 'running'`,
		strconv.FormatInt(portalID, 10)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("jobs: delete the portal's jobs: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// WaitingJobs counts the jobs that have not finished, by queue and state,
// for the jobs-waiting gauge.
func WaitingJobs(ctx context.Context, q bun.IDB) ([]metrics.JobCount, error) {
	var out []metrics.JobCount
	err := q.NewRaw(`SELECT queue, state::text AS state, count(*) AS n FROM river_job
		WHERE state IN ('available', 'running', 'retryable', 'scheduled') GROUP BY 1, 2`).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("jobs: count waiting jobs: %w", err)
	}
	return out, nil
}

// otherSetupRunning reports whether a setup of the portal other than job id
// is running.
func otherSetupRunning(ctx context.Context, q bun.IDB, id, portalID int64) (bool, error) {
	var busy bool
	err := q.NewRaw(`SELECT EXISTS (SELECT 1 FROM river_job WHERE state = 'running' AND kind = ? AND id <> ?
		AND args->>'portal_id' = ?)`, SetupArgs{}.Kind(), id, strconv.FormatInt(portalID, 10)).Scan(ctx, &busy)
	if err != nil {
		return false, fmt.Errorf("jobs: setup running: %w", err)
	}
	return busy, nil
}
