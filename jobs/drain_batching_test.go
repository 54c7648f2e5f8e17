package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// TestGatheredDrainServesTheEventsOfItsWait: the drain the first event
// of a quiet portal enqueues waits DrainGather as an available job (not a
// scheduled one, which River's scheduler would release only seconds
// later), the events of that wait find it waiting and add no job, and
// the one drain records them all.
func TestGatheredDrainServesTheEventsOfItsWait(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Deals: 3})
	deliver := func(deal int64) *rivertype.JobInsertResult {
		t.Helper()
		row := db.InboxRow{Entity: crm.Deal, EntityID: deal, Kind: db.InboxAdd, Origin: db.OriginOnline}
		var res []*rivertype.JobInsertResult
		err := b.d.RunInTx(b.ctx, func(ctx context.Context, tx db.Tx) error {
			if err := db.AddToInbox(ctx, tx, b.portal, []db.InboxRow{row}); err != nil {
				return err
			}
			return tx.Pgx(func(ptx pgx.Tx) error {
				var err error
				res, err = b.rc.InsertManyTx(ctx, ptx, []river.InsertManyParams{GatheredDrain(b.portal, time.Now())})
				return err
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	first := deliver(1)
	job := first.Job
	if job.State != rivertype.JobStateAvailable {
		t.Fatalf("gathered drain inserted %s, want available", job.State)
	}
	if wait := job.ScheduledAt.Sub(job.CreatedAt); wait < DrainGather-50*time.Millisecond || wait > DrainGather+50*time.Millisecond {
		t.Fatalf("gathered drain due %s after its insert, want %s", wait, DrainGather)
	}
	for _, deal := range []int64{2, 3} {
		if r := deliver(deal); !r.UniqueSkippedAsDuplicate || r.Job.ID != job.ID {
			t.Fatalf("event of deal %d enqueued drain %d (skipped %t), want it to join drain %d", deal, r.Job.ID, r.UniqueSkippedAsDuplicate, job.ID)
		}
	}
	ev := b.wait(t, job.ID)
	if ev.Kind != river.EventKindJobCompleted {
		t.Fatalf("drain %s (errors %v)", ev.Kind, ev.Job.Errors)
	}
	if ev.Job.AttemptedAt == nil || ev.Job.AttemptedAt.Before(job.ScheduledAt) {
		t.Errorf("drain started at %v, before it was due at %v", ev.Job.AttemptedAt, job.ScheduledAt)
	}
	if n := b.count(t, `SELECT count(DISTINCT entity_id) FROM history WHERE portal_id = $1 AND action = $2`, b.portal, db.CodeCreated); n != 3 {
		t.Errorf("%d deals recorded, want the 3 the drain gathered", n)
	}
	if n := b.count(t, `SELECT count(*) FROM river_job WHERE kind = $1`, DrainArgs{}.Kind()); n != 1 {
		t.Errorf("%d drain jobs, want 1", n)
	}
}
