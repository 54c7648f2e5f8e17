package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/crm"
)

// RatePressure sums up how hard the portal's rate limits pressed on Trail's
// calls over a period: calls that had to wait for the limiter or pacer, the
// average wait of those, and how often the portal refused a call outright.
type RatePressure struct {
	Calls       int64   `bun:"calls"`
	Waited      int64   `bun:"waited"`
	AvgWaitMS   float64 `bun:"avg_wait_ms"`
	LimitErrors int64   `bun:"limit_errors"`
	OtherErrors int64   `bun:"other_errors"`
	WaitedShare float64 `bun:"-"`
}

// RatePressureSince reads the portal's API call log from since on.
func RatePressureSince(ctx context.Context, q bun.IDB, portalID int64, since time.Time) (RatePressure, error) {
	var p RatePressure
	err := q.NewRaw(`SELECT count(*) AS calls,
			count(*) FILTER (WHERE waited_ms > 0) AS waited,
			coalesce(avg(waited_ms) FILTER (WHERE waited_ms > 0), 0) AS avg_wait_ms,
			count(*) FILTER (WHERE error_code = 'QUERY_LIMIT_EXCEEDED') AS limit_errors,
			count(*) FILTER (WHERE error_code NOT IN ('', 'QUERY_LIMIT_EXCEEDED')) AS other_errors
		FROM api_calls WHERE portal_id = ? AND at >= ?`, portalID, since).Scan(ctx, &p)
	if err != nil {
		return p, fmt.Errorf("rate pressure: %w", err)
	}
	if p.Calls > 0 {
		p.WaitedShare = float64(p.Waited) / float64(p.Calls)
	}
	return p, nil
}

// LastEventAt is when the portal last delivered an event, if ever.
func LastEventAt(ctx context.Context, q bun.IDB, portalID int64) (*time.Time, error) {
	var at []*time.Time
	if err := q.NewRaw("SELECT last_event_at FROM installations WHERE id = ?", portalID).Scan(ctx, &at); err != nil {
		return nil, fmt.Errorf("last event: %w", err)
	}
	if len(at) == 0 {
		return nil, nil
	}
	return at[0], nil
}

// ResetSyncStates marks entities' baselines as to be copied again from the
// first record: the progress bar shows them waiting from the moment a
// resync is asked for, and a baseline job already waiting for the entity
// (which a resync's job is a duplicate of) starts from the first record
// too. The job recounts the total when it starts.
func ResetSyncStates(ctx context.Context, q bun.IDB, portalID int64, entities []crm.Type) error {
	for _, e := range entities {
		_, err := q.NewRaw(`INSERT INTO sync_state (portal_id, entity, state) VALUES (?, ?, 'pending')
			ON CONFLICT (portal_id, entity) DO UPDATE SET state = 'pending', done = 0, last_id = 0, ranges = NULL, error = '', started_at = NULL, finished_at = NULL`,
			portalID, e).Exec(ctx)
		if err != nil {
			return fmt.Errorf("reset sync state %s: %w", e, err)
		}
	}
	return nil
}
