package jobs

import (
	"context"
	"strconv"

	"github.com/uptrace/bun"
)

// BaselineQueued reports whether a baseline sync job of the portal exists
// in River's table in any state: setup enqueues it as its last step.
func BaselineQueued(ctx context.Context, q bun.IDB, portalID int64) (bool, error) {
	var queued bool
	err := q.NewRaw(`SELECT EXISTS (SELECT 1 FROM river_job WHERE kind = ? AND args->>'portal_id' = ?)`,
		SyncArgs{}.Kind(), strconv.FormatInt(portalID, 10)).Scan(ctx, &queued)
	return queued, err
}
