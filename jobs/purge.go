package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/trailhq/trail/db"
)

// PurgeArgs asks to delete everything Trail holds about an uninstalled
// portal, keeping only the installation row as a record that it was purged.
type PurgeArgs struct {
	PortalID int64 `json:"portal_id" river:"unique"`
}

// Kind names the job in the queue.
func (PurgeArgs) Kind() string { return "purge_portal" }

// InsertOpts makes purges of one portal unique while waiting.
func (PurgeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waiting}}
}

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
	var busy bool
	err := w.DB.Bun.NewRaw(`SELECT EXISTS (SELECT 1 FROM river_job WHERE state = 'running' AND id <> ?
		AND args->>'portal_id' = ?)`, job.ID, strconv.FormatInt(job.Args.PortalID, 10)).Scan(ctx, &busy)
	if err != nil {
		return err
	}
	if busy {
		return river.JobSnooze(5 * time.Second)
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
		w.Log.InfoContext(ctx, "portal purged", "member_id", memberID, "portal_id", job.Args.PortalID, "rows", n)
		return nil
	})
}
