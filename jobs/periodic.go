package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/trailhq/trail/app/apilog"
	"github.com/trailhq/trail/db"
)

// Periodic intervals.
const (
	sweepEvery     = 15 * time.Second
	reconcileEvery = 10 * time.Minute
	upkeepEvery    = time.Hour
	pruneEvery     = time.Hour
	// tokenIdle is how long an installation may go without a refresh
	// before upkeep refreshes it: refresh tokens die after 180 days unused
	// (older documentation said 28), so a month keeps well clear of both.
	tokenIdle = 20 * 24 * time.Hour
)

func periodicJobs() []*river.PeriodicJob {
	every := func(d time.Duration, args river.JobArgs, id string) *river.PeriodicJob {
		return river.NewPeriodicJob(river.PeriodicInterval(d),
			func() (river.JobArgs, *river.InsertOpts) { return args, nil },
			&river.PeriodicJobOpts{ID: id, RunOnStart: true})
	}
	return []*river.PeriodicJob{
		every(sweepEvery, SweepArgs{}, "sweep"),
		every(reconcileEvery, SweepArgs{Reconcile: true}, "reconcile"),
		every(upkeepEvery, TokenUpkeepArgs{}, "token_upkeep"),
		every(pruneEvery, PruneArgs{}, "prune"),
	}
}

// SweepArgs enqueues per-portal jobs: drains for every portal with inbox
// rows (the safety net for a row committed just as its portal's drain
// finished, and for portals that were not callable for a while), and with
// Reconcile, a reconciliation for every active portal.
type SweepArgs struct {
	Reconcile bool `json:"reconcile" river:"unique"`
}

func (SweepArgs) Kind() string { return "sweep" }

func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waiting}}
}

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
			WHERE s.state = 'pending' AND i.status = 'active' AND s.entity = ANY (ps.entities)`).Scan(ctx, &pending)
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

// TokenUpkeepArgs refreshes tokens of installations idle long enough for
// their refresh token to be at risk.
type TokenUpkeepArgs struct{}

func (TokenUpkeepArgs) Kind() string { return "token_upkeep" }

func (TokenUpkeepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waiting}}
}

// TokenUpkeepWorker refreshes through the same token store as every client,
// so it takes the same per-portal advisory lock and can never race a refresh
// made by a live call. A grant that is gone marks the installation as
// needing re-authorisation.
type TokenUpkeepWorker struct {
	river.WorkerDefaults[TokenUpkeepArgs]
	Deps
}

func (w *TokenUpkeepWorker) Work(ctx context.Context, job *river.Job[TokenUpkeepArgs]) error {
	var ins []*db.Installation
	err := w.DB.Bun.NewSelect().Model(&ins).
		Where("status = ?", db.StatusActive).Where("auth_mode = 'oauth'").
		Where("expires_at < ?", time.Now().Add(-tokenIdle)).
		OrderExpr("expires_at").Limit(200).Scan(ctx)
	if err != nil {
		return fmt.Errorf("token upkeep: %w", err)
	}
	for _, in := range ins {
		c, err := w.Clients.For(in)
		if err != nil {
			return err
		}
		// Any call with the stale token makes the client refresh it first.
		_, err = c.Call(ctx, "app.info", nil)
		if err := w.outcome(ctx, in, err); err != nil {
			w.Log.WarnContext(ctx, "token upkeep failed", "member_id", in.MemberID, "err", err)
		}
	}
	return nil
}

// PruneArgs deletes what is past its retention: the API call log, the
// history rows older than each portal's retention period, and expired
// sessions.
type PruneArgs struct{}

func (PruneArgs) Kind() string { return "prune" }

func (PruneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueMaintenance, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waiting}}
}

// PruneWorker runs PruneArgs.
type PruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	Deps
}

func (w *PruneWorker) Work(ctx context.Context, job *river.Job[PruneArgs]) error {
	n, err := apilog.Prune(ctx, w.DB.Bun, w.APILogRetention)
	if err != nil {
		return fmt.Errorf("prune api log: %w", err)
	}
	res, err := w.DB.Bun.NewRaw(`DELETE FROM history h USING portal_settings s
		WHERE s.portal_id = h.portal_id AND h.changed_at < now() - make_interval(days => s.retention_days)`).Exec(ctx)
	if err != nil {
		return fmt.Errorf("prune history: %w", err)
	}
	m, _ := res.RowsAffected()
	sess, err := db.PruneSessions(ctx, w.DB)
	if err != nil {
		return fmt.Errorf("prune sessions: %w", err)
	}
	if n+m+sess > 0 {
		w.Log.InfoContext(ctx, "pruned", "api_calls", n, "history", m, "sessions", sess)
	}
	return nil
}
