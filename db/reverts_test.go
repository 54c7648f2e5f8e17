package db_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

// TestRevertClaimedOnce: of many submits of one preview exactly one
// claims it; another user's submit claims nothing.
func TestRevertClaimedOnce(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	p := addPortal(t, d, "claim")
	r := &db.Revert{PortalID: p, Key: "k1", UserID: 2, Entity: crm.Deal, EntityID: 3, ChangeID: 9,
		Fields: []db.RevertField{{Field: "TITLE", Writable: true, Chosen: true}}}
	if err := db.AddRevert(ctx, d.Bun, r); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.ClaimRevert(ctx, d.Bun, p, 3, "k1"); err != nil || ok {
		t.Fatalf("another user claimed the preview: %v %v", ok, err)
	}
	var wg sync.WaitGroup
	wins := make(chan bool, 8)
	for range 8 {
		wg.Go(func() {
			ok, err := db.ClaimRevert(ctx, d.Bun, p, 2, "k1")
			if err != nil {
				t.Error(err)
			}
			wins <- ok
		})
	}
	wg.Wait()
	close(wins)
	n := 0
	for ok := range wins {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d submits claimed one preview, want 1", n)
	}
}

// TestRevertOfChangeWantsAWrite: only a revert that wrote a field waits
// for its change, of its own portal, record and user; once recorded it
// waits no more.
func TestRevertOfChangeWantsAWrite(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	p, other := addPortal(t, d, "match-a"), addPortal(t, d, "match-b")
	add := func(portal int64, key, outcome string) *db.Revert {
		r := &db.Revert{PortalID: portal, Key: key, UserID: 2, Entity: crm.Deal, EntityID: 3, ChangeID: 9}
		if err := db.AddRevert(ctx, d.Bun, r); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishRevert(ctx, d.Bun, portal, r.ID, []db.RevertField{{Field: "TITLE", Outcome: outcome}}); err != nil {
			t.Fatal(err)
		}
		return r
	}
	written := add(p, "written", db.OutcomeWritten)
	add(p, "refused", db.OutcomeRefused) // newer, wrote nothing
	add(other, "elsewhere", db.OutcomeWritten)
	got, err := db.RevertOfChange(ctx, d.Bun, p, crm.Deal, 3, 2, time.Now())
	if err != nil || got == nil || got.ID != written.ID {
		t.Fatalf("unrecorded revert = %+v, %v; want the written one", got, err)
	}
	if got, _ := db.RevertOfChange(ctx, d.Bun, p, crm.Deal, 3, 4, time.Now()); got != nil {
		t.Errorf("another user's change matched revert %d", got.ID)
	}
	if err := db.RevertRecorded(ctx, d.Bun, p, written.ID, 77); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.RevertOfChange(ctx, d.Bun, p, crm.Deal, 3, 2, time.Now()); got != nil {
		t.Errorf("a recorded revert still waits: %d", got.ID)
	}
}

// TestPruneReverts: an old preview nobody submitted goes, a finished
// revert within the retention stays.
func TestPruneReverts(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	p := addPortal(t, d, "prune-reverts")
	if _, err := db.LoadSettings(ctx, d.Bun, p); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"old-preview", "new-preview", "done"} {
		if err := db.AddRevert(ctx, d.Bun, &db.Revert{PortalID: p, Key: key, UserID: 2, Entity: crm.Deal, EntityID: 3, ChangeID: 9}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Bun.NewRaw("UPDATE reverts SET created_at = now() - interval '2 days' WHERE key IN ('old-preview', 'done')").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Bun.NewRaw("UPDATE reverts SET state = 'done' WHERE key = 'done'").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := db.PruneReverts(ctx, d.Bun); err != nil || n != 1 {
		t.Fatalf("pruned %d, %v; want the old preview only", n, err)
	}
	if _, err := db.RevertByKey(ctx, d.Bun, p, "old-preview"); err == nil {
		t.Error("the old preview is still there")
	}
}
