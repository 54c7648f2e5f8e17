package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// DrainGather is how long a portal's drain waits after the event that
// enqueued it (a drain already waiting or running takes later events
// without a wait). Bitrix24 sends one event per change, and changes come
// in bursts (an edit and the automation rules it sets off, an import, a
// portal being worked on by many people): without the wait each of them
// pays a drain job of its own (River's insert, fetch and completion, the
// round's reads and its transaction) and one HTTP request for one record,
// while the portal's rate limit allows two requests a second. The wait
// lets such a burst share one job, one request and one transaction, at
// the price of that much lag on a quiet portal (a busy one has its drain
// waiting or running already and pays nothing); it is kept short because
// that lag is what a user waits for after saving.
const DrainGather = 250 * time.Millisecond

// GatheredDrain is the insert of a drain that starts DrainGather from now.
func GatheredDrain(portalID int64, now time.Time) river.InsertManyParams {
	return river.InsertManyParams{Args: DrainArgs{PortalID: portalID}, InsertOpts: &river.InsertOpts{ScheduledAt: now.Add(DrainGather)}}
}

// gatherMiddleware inserts drains that are due within River's scheduler
// interval as available, with their scheduled_at still ahead. River
// inserts any job with a time of its own as scheduled, and only its
// scheduler, every 5 s and on the leader alone, makes scheduled jobs
// available: a drain meant to start in a second would start up to five
// later. An available job is fetched only once its scheduled_at has come
// (River gives a short snooze the same state), so the drain starts on
// time, and it counts as waiting for the unique insert and for the
// intake's pending check as a scheduled one does.
type gatherMiddleware struct {
	river.MiddlewareDefaults
}

// schedulerInterval is River's scheduler interval (not configurable).
const schedulerInterval = 5 * time.Second

func (*gatherMiddleware) InsertMany(ctx context.Context, many []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	soon := time.Now().Add(schedulerInterval)
	for _, p := range many {
		if p.Kind == (DrainArgs{}).Kind() && p.State == rivertype.JobStateScheduled && p.ScheduledAt != nil && p.ScheduledAt.Before(soon) {
			p.State = rivertype.JobStateAvailable
		}
	}
	return doInner(ctx)
}
