package jobs

import (
	"context"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

// insertOnly is a test database with a River client that inserts jobs and
// works none.
func insertOnly(t *testing.T) (*db.DB, *Client) {
	t.Helper()
	d := dbtest.New(t)
	rc, err := river.NewClient(riverpgxv5.New(d.Pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return d, rc
}

// The portal's jobs go with its purge, other portals' stay; the waiting
// count sees them by queue and state.
func TestPortalJobsAndWaitingCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, rc := insertOnly(t)
	insert := func(args river.JobArgs) {
		t.Helper()
		if _, err := rc.Insert(ctx, args, nil); err != nil {
			t.Fatal(err)
		}
	}
	insert(OfflineArgs{PortalID: 1})
	insert(DrainArgs{PortalID: 1})
	insert(DrainArgs{PortalID: 2})

	counts, err := WaitingJobs(ctx, d.Bun)
	if err != nil {
		t.Fatal(err)
	}
	waiting := map[string]int64{}
	for _, c := range counts {
		waiting[c.Queue+"/"+c.State] += c.N
	}
	if waiting[QueueEvents+"/available"] != 2 || waiting[QueueOffline+"/available"] != 1 {
		t.Errorf("waiting %v: want 2 drains and 1 offline pull available", waiting)
	}

	n, err := deletePortalJobs(ctx, d.Bun, 1)
	if err != nil || n != 2 {
		t.Fatalf("deleted %d jobs of portal 1 (%v), want 2", n, err)
	}
	var left int
	if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM river_job").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 1 {
		t.Errorf("%d jobs left, want portal 2's drain only", left)
	}
}
