package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/trailhq/trail/db"
)

// PurgeArgs asks to delete everything Trail holds about an uninstalled
// portal, keeping only the installation row as a record that it was purged.
type PurgeArgs struct {
	PortalID int64 `json:"portal_id" river:"unique"`
	// Sweep marks the second pass, which removes what a job that was still
	// running at the first pass wrote after it.
	Sweep bool `json:"sweep,omitempty" river:"unique"`
}

// How long a purge waits for the portal's running jobs before it goes on
// anyway, and when its second pass runs: after the longest a job may run
// before River takes it back.
const (
	purgeWait  = 20 * time.Second
	purgeSweep = 7 * time.Minute
)

// purgeGrace is how long an uninstalled portal's history is kept when the
// admin did not ask to delete the data, so that a reinstall finds it.
const purgeGrace = 30 * 24 * time.Hour

// PurgeAfter returns when a purge should run for an uninstall: at once when
// the admin asked for the data to be deleted, after a grace period otherwise.
func PurgeAfter(now time.Time, clean bool) time.Time {
	if clean {
		return now
	}
	return now.Add(purgeGrace)
}

// Kind names the job in the queue.
func (PurgeArgs) Kind() string { return "purge_portal" }

// InsertOpts makes purges of one portal unique while waiting.
func (PurgeArgs) InsertOpts() river.InsertOpts { return uniqueWhileWaiting(QueueMaintenance) }

// PurgeWorker runs PurgeArgs.
type PurgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	DB  *db.DB
	Log *slog.Logger
}

// Work deletes the portal's data in one transaction. A portal that was
// installed again since the purge was asked for is left alone.
func (w *PurgeWorker) Work(ctx context.Context, job *river.Job[PurgeArgs]) error {
	// A job of the portal that started before the uninstall may still write;
	// wait for it to end (jobs that start later see the portal uninstalled).
	busy, err := otherJobRunning(ctx, w.DB.Bun, job.ID, job.Args.PortalID)
	if err != nil {
		return err
	}
	if busy && time.Since(job.CreatedAt) < purgeWait {
		return river.JobSnooze(2 * time.Second)
	}
	memberID := ""
	if in, err := db.InstallationByID(ctx, w.DB.Bun, job.Args.PortalID); err == nil {
		memberID = in.MemberID // for the log: operators search by member_id
	}
	return w.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		n, err := db.PurgePortal(ctx, tx, job.Args.PortalID)
		if err != nil {
			return fmt.Errorf("purge portal %d (%s): %w", job.Args.PortalID, memberID, err)
		}
		if n > 0 { // the portal was purged now: its jobs carry it in their args
			m, err := deletePortalJobs(ctx, tx, job.Args.PortalID)
			if err != nil {
				return err
			}
			n += m
		}
		w.Log.InfoContext(ctx, "portal purged", "member_id", memberID, "portal_id", job.Args.PortalID, "rows", n, "sweep", job.Args.Sweep)
		if job.Args.Sweep || n == 0 {
			return nil
		}
		rc, err := river.ClientFromContextSafely[pgx.Tx](ctx)
		if err != nil {
			return fmt.Errorf("purge portal %d: schedule the second pass: %w", job.Args.PortalID, err)
		}
		return EnqueueAt(ctx, tx, rc, PurgeArgs{PortalID: job.Args.PortalID, Sweep: true}, time.Now().Add(purgeSweep))
	})
}
