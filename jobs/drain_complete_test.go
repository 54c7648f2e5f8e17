package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// The inbox check that lets a drain complete runs after its lock on the
// portal's row, sent with it in one round trip yet in a snapshot of its
// own: the rows of an intake that held the row while the lock waited are
// seen, so the drain goes on instead of completing with them left behind
// and no drain coming (the intake found this one pending).
func TestDrainCompletionSeesTheIntakeItWaitedFor(t *testing.T) {
	b := newBench(t, b24test.Options{})
	ctx := b.ctx
	intake, err := b.d.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = intake.Rollback(ctx) }()
	batch := &pgx.Batch{}
	batch.Queue(lockForEnqueue, b.portal)
	db.QueueInbox(batch, []db.InboxRow{{PortalID: b.portal, Entity: crm.Deal, EntityID: 1, Kind: db.InboxUpdate, Origin: db.OriginOnline}})
	if err := intake.SendBatch(ctx, batch).Close(); err != nil {
		t.Fatal(err)
	}

	type outcome struct {
		done bool
		err  error
	}
	got := make(chan outcome, 1)
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		var done bool
		err := b.d.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
			var err error
			done, err = completeInTx(ctx, tx, &db.Writes{}, &river.Job[DrainArgs]{Args: DrainArgs{PortalID: b.portal}})
			return err
		})
		got <- outcome{done, err}
	}()
	// Commit the intake only once the drain's lock waits for it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var waiting bool
		err := b.d.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE wait_event_type = 'Lock' AND query LIKE '%FROM installations WHERE id = $1 FOR UPDATE%')`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the drain's lock never waited for the intake")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := intake.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r := <-got
	if r.done || r.err != nil {
		t.Errorf("the drain's completion, with the intake's row in the inbox: done %v, %v", r.done, r.err)
	}
}
