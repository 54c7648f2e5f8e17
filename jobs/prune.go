package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/trailhq/trail/app/apilog"
	"github.com/trailhq/trail/db"
)

// PruneArgs deletes what is past its retention: the API call log, the
// history rows older than each portal's retention period, expired
// sessions, and reverts never submitted or past the retention period.
type PruneArgs struct{}

func (PruneArgs) Kind() string { return "prune" }

func (PruneArgs) InsertOpts() river.InsertOpts { return uniqueWhileWaiting(QueueMaintenance) }

// PruneWorker runs PruneArgs.
type PruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	Deps
}

// History past retention goes in batches of pruneBatch changes, each its
// own short transaction followed by as long a rest, for at most
// pruneBudget a run; what is left goes when the job, snoozed, runs again.
// One DELETE of every expired row would hold its locks, its snapshot
// (keeping vacuum from every table) and its WAL for as long as ten
// million rows take. Partitioning history by month
// would make dropping old rows free, but retention is per portal (1 to
// 36,500 days), so a month's partition could go only once every portal's
// retention had passed it: a portal's own old rows would still be
// deleted row by row.
const (
	pruneBatch  = 2000
	pruneBudget = 3 * time.Minute
)

func (w *PruneWorker) Work(ctx context.Context, job *river.Job[PruneArgs]) error {
	n, err := apilog.Prune(ctx, w.DB.Bun, w.APILogRetention)
	if err != nil {
		return fmt.Errorf("prune api log: %w", err)
	}
	m, done, err := PruneHistory(ctx, w.DB, time.Now().Add(pruneBudget))
	if err != nil {
		return err
	}
	sess, err := db.PruneSessions(ctx, w.DB)
	if err != nil {
		return fmt.Errorf("prune sessions: %w", err)
	}
	rev, err := db.PruneReverts(ctx, w.DB.Bun)
	if err != nil {
		return err
	}
	if n+m+sess+rev > 0 {
		w.Log.InfoContext(ctx, "pruned", "api_calls", n, "history", m, "sessions", sess, "reverts", rev, "history_left", !done)
	}
	if !done {
		return river.JobSnooze(time.Second)
	}
	return nil
}

// PruneHistory deletes every portal's history past its retention, batch
// by batch, until none is left (done) or the deadline passes; it returns
// how many rows it deleted.
func PruneHistory(ctx context.Context, d *db.DB, deadline time.Time) (deleted int64, done bool, err error) {
	expired, err := db.ExpiredHistory(ctx, d.Bun)
	if err != nil {
		return 0, false, err
	}
	for _, e := range expired {
		for {
			if time.Now().After(deadline) {
				return deleted, false, nil
			}
			start := time.Now()
			changes, rows, err := db.PruneHistory(ctx, d.Bun, e, pruneBatch)
			if err != nil {
				return deleted, false, err
			}
			deleted += rows
			if changes < pruneBatch {
				break
			}
			// Rest as long as the batch took: the prune takes at most half
			// the time of one connection and of the disk it writes to.
			select {
			case <-ctx.Done():
				return deleted, false, ctx.Err()
			case <-time.After(time.Since(start)):
			}
		}
	}
	return deleted, true, nil
}
