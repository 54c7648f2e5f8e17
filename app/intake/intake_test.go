package intake

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
	"github.com/trailhq/trail/jobs"
)

func newIntake(t *testing.T, portals int) (*Committer, *db.DB, []int64) {
	t.Helper()
	d := dbtest.New(t)
	rc, err := river.NewClient(riverpgxv5.New(d.Pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, portals)
	for i := range ids {
		err := d.Pool.QueryRow(context.Background(), `INSERT INTO installations (member_id, domain, client_endpoint)
			VALUES ($1, 'p.example', 'https://p.example/rest/') RETURNING id`, fmt.Sprintf("m%d", i)).Scan(&ids[i])
		if err != nil {
			t.Fatal(err)
		}
	}
	return New(d, rc), d, ids
}

func change(id int64) db.InboxRow {
	return db.InboxRow{Entity: crm.Deal, EntityID: id, Kind: db.InboxUpdate, Origin: db.OriginOnline}
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// Many deliveries at once, for portals that overlap between groups: every
// row is committed and every portal has exactly one drain, noted on its row.
func TestIntakeCommitsConcurrentDeliveries(t *testing.T) {
	t.Parallel()
	q, d, portals := newIntake(t, 30)
	const senders, each = 40, 25
	var wg sync.WaitGroup
	errs := make(chan error, senders*each)
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				p := portals[(s*7+i*3)%len(portals)]
				errs <- q.Accept(context.Background(), p, change(int64(s*each+i+1)))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, d, "SELECT count(*) FROM inbox"); n != senders*each {
		t.Errorf("inbox rows = %d, want %d", n, senders*each)
	}
	if n := count(t, d, "SELECT count(*) FROM river_job WHERE kind = 'drain_inbox'"); n != len(portals) {
		t.Errorf("drain jobs = %d, want one per portal (%d)", n, len(portals))
	}
	noted := count(t, d, `SELECT count(*) FROM installations i JOIN river_job j ON j.id = i.drain_job
		WHERE j.kind = 'drain_inbox' AND (j.args->>'portal_id')::bigint = i.id`)
	if noted != len(portals) {
		t.Errorf("portals with their drain noted = %d, want %d", noted, len(portals))
	}
}

// A group that fails as a whole is retried one delivery at a time, so only
// the delivery that cannot be stored fails.
func TestIntakeGroupFailureFailsOnlyTheBadDelivery(t *testing.T) {
	t.Parallel()
	q, d, portals := newIntake(t, 2)
	group := []*accept{
		{portalID: portals[0], row: change(1), done: make(chan error, 1)},
		{portalID: portals[1] + 1000, row: change(2), done: make(chan error, 1)}, // no such portal
		{portalID: portals[1], row: change(3), done: make(chan error, 1)},
	}
	q.commitGroup(group)
	for i, a := range group {
		err := <-a.done
		if bad := i == 1; (err != nil) != bad {
			t.Errorf("delivery %d: err = %v, want failure only for the unknown portal", i, err)
		}
	}
	if n := count(t, d, "SELECT count(*) FROM inbox"); n != 2 {
		t.Errorf("inbox rows = %d, want the 2 good ones", n)
	}
}

// A drain enqueued by another path (the offline pull, a sweep) is found by
// the unique insert and noted; no second drain appears.
func TestIntakeNotesDrainEnqueuedElsewhere(t *testing.T) {
	t.Parallel()
	q, d, portals := newIntake(t, 1)
	ctx := context.Background()
	err := d.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		return jobs.EnqueueDrain(ctx, tx, q.rc, portals[0])
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := q.Accept(ctx, portals[0], change(int64(i+1))); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, d, "SELECT count(*) FROM river_job WHERE kind = 'drain_inbox'"); n != 1 {
		t.Errorf("drain jobs = %d, want the one enqueued before", n)
	}
	if n := count(t, d, "SELECT count(*) FROM installations i JOIN river_job j ON j.id = i.drain_job WHERE i.id = $1", portals[0]); n != 1 {
		t.Errorf("the existing drain is not noted on the portal")
	}
}
