package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/trailhq/trail/db"
)

// TokenUpkeepArgs refreshes tokens of installations idle long enough for
// their refresh token to be at risk.
type TokenUpkeepArgs struct{}

func (TokenUpkeepArgs) Kind() string { return "token_upkeep" }

func (TokenUpkeepArgs) InsertOpts() river.InsertOpts { return uniqueWhileWaiting(QueueMaintenance) }

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
		Where("status = ?", db.StatusActive).Where("auth_mode = ?", db.AuthOAuth).
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
