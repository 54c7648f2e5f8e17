package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/trailhq/trail/db"
)

// SweepArgs enqueues per-portal jobs: drains for every portal with inbox
// rows (the safety net for a row committed just as its portal's drain
// finished, and for portals that were not callable for a while), and with
// Reconcile, a reconciliation for every active portal, each at its own
// point of the period (see reconcileOffset).
type SweepArgs struct {
	Reconcile bool `json:"reconcile" river:"unique"`
}

func (SweepArgs) Kind() string { return "sweep" }

func (SweepArgs) InsertOpts() river.InsertOpts { return uniqueWhileWaiting(QueueMaintenance) }

// SweepWorker runs SweepArgs.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Deps
}

func (w *SweepWorker) Work(ctx context.Context, job *river.Job[SweepArgs]) error {
	var ids []int64
	q := `SELECT DISTINCT i.portal_id FROM inbox i JOIN installations s ON s.id = i.portal_id WHERE s.status = 'active'`
	if job.Args.Reconcile {
		q = `SELECT id FROM installations WHERE status = 'active'`
	}
	if err := w.DB.Bun.NewRaw(q).Scan(ctx, &ids); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	var params []river.InsertManyParams
	if !job.Args.Reconcile {
		// A baseline left pending (its job was skipped as a duplicate of one
		// that had already looked, or lost with a crashed worker) restarts.
		var pending []SyncArgs
		err := w.DB.Bun.NewRaw(`SELECT s.portal_id, s.entity FROM sync_state s
			JOIN installations i ON i.id = s.portal_id
			JOIN portal_settings ps ON ps.portal_id = s.portal_id
			WHERE s.state = ? AND i.status = ? AND s.entity = ANY (ps.entities)`, db.SyncPending, db.StatusActive).Scan(ctx, &pending)
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		for _, a := range pending {
			params = append(params, river.InsertManyParams{Args: a})
		}
	}
	now := time.Now()
	for _, id := range ids {
		if job.Args.Reconcile {
			at := now.Add(reconcileOffset(id, reconcileEvery))
			params = append(params, river.InsertManyParams{Args: ReconcileArgs{PortalID: id, Swept: true}, InsertOpts: &river.InsertOpts{ScheduledAt: at}})
			continue
		}
		params = append(params, river.InsertManyParams{Args: DrainArgs{PortalID: id}})
	}
	if len(params) == 0 {
		return nil
	}
	_, err := river.ClientFromContext[pgx.Tx](ctx).InsertMany(ctx, params)
	return err
}

// reconcileOffset is when in each period of length every the portal's
// reconciliation runs, counted from the sweep that enqueues it: the same
// point every period, so each portal is reconciled once a period, and
// different points for different portals, so that the portals installed
// together (a whole deployment, after a restart) are not all listed at
// once, taking the cores the drains need for as long as that lasts.
// Portal ids are consecutive; multiplying by 2^64/φ (Fibonacci hashing)
// spreads consecutive ids evenly over the period.
func reconcileOffset(portalID int64, every time.Duration) time.Duration {
	return time.Duration(uint64(portalID) * 0x9E3779B97F4A7C15 % uint64(every))
}
