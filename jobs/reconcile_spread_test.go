package jobs

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
)

// TestReconcileOffsetsSpreadOverThePeriod: a thousand portals installed
// one after another fall evenly over the period, each at a point of its
// own that stays the same from one period to the next.
func TestReconcileOffsetsSpreadOverThePeriod(t *testing.T) {
	t.Parallel()
	const portals, slices = 1000, 10
	slice := reconcileEvery / slices
	per := make([]int, slices)
	for id := int64(1); id <= portals; id++ {
		off := reconcileOffset(id, reconcileEvery)
		if off < 0 || off >= reconcileEvery {
			t.Fatalf("portal %d: offset %s outside the period", id, off)
		}
		if again := reconcileOffset(id, reconcileEvery); again != off {
			t.Fatalf("portal %d: offset %s, then %s", id, off, again)
		}
		per[off/slice]++
	}
	for i, n := range per {
		if n < portals/slices*8/10 || n > portals/slices*12/10 {
			t.Errorf("%s–%s of the period: %d of %d portals, want about %d (all: %v)",
				time.Duration(i)*slice, time.Duration(i+1)*slice, n, portals, portals/slices, per)
		}
	}
}

// TestReconcileSweepSpreadsThePortals: the reconciling sweep enqueues each
// active portal's reconciliation at the portal's own offset, not all of
// them at once, and a reconciliation asked for now still runs now.
func TestReconcileSweepSpreadsThePortals(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{})
	ids := []int64{b.portal}
	for i := range 49 {
		var id int64
		err := b.d.Pool.QueryRow(context.Background(), `INSERT INTO installations (member_id, domain, client_endpoint, status)
			VALUES ($1, 'p.example', 'https://p.example/rest/', 'active') RETURNING id`, fmt.Sprintf("spread%d", i)).Scan(&id)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	b.done(t, SweepArgs{Reconcile: true})
	rows, err := b.d.Pool.Query(b.ctx, `SELECT (args->>'portal_id')::bigint, scheduled_at - created_at FROM river_job WHERE kind = $1`, ReconcileArgs{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]time.Duration{}
	for rows.Next() {
		var id int64
		var wait time.Duration
		if err := rows.Scan(&id, &wait); err != nil {
			t.Fatal(err)
		}
		got[id] = wait
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Fatalf("%d reconciliations enqueued, want one per active portal (%d)", len(got), len(ids))
	}
	minutes := map[time.Duration]bool{}
	for _, id := range ids {
		want := reconcileOffset(id, reconcileEvery)
		if d := got[id] - want; d < -time.Second || d > time.Second {
			t.Errorf("portal %d reconciled %s after the sweep, want %s", id, got[id], want)
		}
		minutes[got[id].Truncate(time.Minute)] = true
	}
	if len(minutes) < 8 {
		t.Errorf("50 portals' reconciliations fall in %d distinct minutes of the period, want them spread over most of its 10", len(minutes))
	}
	// One asked for now is not held back by the swept one's wait.
	res, err := b.rc.Insert(b.ctx, ReconcileArgs{PortalID: b.portal}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.UniqueSkippedAsDuplicate {
		t.Error("a reconciliation asked for now was skipped as a duplicate of the swept one")
	}
}
