package jobs

import (
	"context"
	"fmt"

	"github.com/trailhq/trail/db"
)

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
