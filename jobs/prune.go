package jobs

import (
	"context"
	"fmt"

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
	rev, err := db.PruneReverts(ctx, w.DB.Bun)
	if err != nil {
		return err
	}
	if n+m+sess+rev > 0 {
		w.Log.InfoContext(ctx, "pruned", "api_calls", n, "history", m, "sessions", sess, "reverts", rev)
	}
	return nil
}
