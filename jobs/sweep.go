package jobs

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/trailhq/trail/db"
)

// SweepArgs enqueues per-portal jobs: drains for every portal with inbox
// rows (the safety net for a row committed just as its portal's drain
// finished, and for portals that were not callable for a while), and with
// Reconcile, a reconciliation for every active portal.
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
	for _, id := range ids {
		var args river.JobArgs = DrainArgs{PortalID: id}
		if job.Args.Reconcile {
			args = ReconcileArgs{PortalID: id}
		}
		params = append(params, river.InsertManyParams{Args: args})
	}
	if len(params) == 0 {
		return nil
	}
	_, err := river.ClientFromContext[pgx.Tx](ctx).InsertMany(ctx, params)
	return err
}
