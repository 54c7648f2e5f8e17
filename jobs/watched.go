package jobs

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// watchedSince is, for each type of the portal, when its baseline began:
// Trail's events were bound by then, so every record created since is one
// Trail hears of.
func watchedSince(ctx context.Context, q bun.IDB, portalID int64) (map[crm.Type]time.Time, error) {
	states, err := db.SyncStates(ctx, q, portalID)
	if err != nil {
		return nil, err
	}
	out := make(map[crm.Type]time.Time, len(states))
	for _, st := range states {
		if st.StartedAt != nil {
			out[st.Entity] = *st.StartedAt
		}
	}
	return out, nil
}

// createdSince reports whether the record of state was created once Trail
// watched its type (since, zero: not yet). Such a record that has no
// snapshot is new to Trail because its addition's event has not come yet
// (events arrive in any order, the offline queue's later than the online
// ones): its state is its creation, not a baseline. DATE_CREATE has whole
// seconds, so the second the baseline began counts.
func createdSince(state history.Snapshot, since time.Time) bool {
	created, ok := history.CreatedAt(state)
	return ok && !since.IsZero() && !created.Before(since.Truncate(time.Second))
}
