package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

// TestStartedRevertWaitsForItsChange: the portal may report a revert's
// write, and the drain record it, before the revert is finished: a revert
// that started writing is already the one the change belongs to, and a
// claimed one that has not started is not.
func TestStartedRevertWaitsForItsChange(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	p := addPortal(t, d, "started")
	r := &db.Revert{PortalID: p, Key: "k1", UserID: 2, Entity: crm.Quote, EntityID: 3, ChangeID: 9,
		Fields: []db.RevertField{{Field: "TITLE", Writable: true, Chosen: true}}}
	if err := db.AddRevert(ctx, d.Bun, r); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.ClaimRevert(ctx, d.Bun, p, 2, "k1"); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if got, _ := db.RevertOfChange(ctx, d.Bun, p, crm.Quote, 3, 2, time.Now()); got != nil {
		t.Fatalf("a claimed revert that wrote nothing yet matched")
	}
	if err := db.StartRevert(ctx, d.Bun, p, r.ID, []db.RevertField{{Field: "TITLE", Writable: true, Chosen: true, Outcome: db.OutcomeWritten}}); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.AwaitingReverts(ctx, d.Bun, p); err != nil || !ok {
		t.Errorf("awaiting reverts = %v, %v; want the started one", ok, err)
	}
	got, err := db.RevertOfChange(ctx, d.Bun, p, crm.Quote, 3, 2, time.Now())
	if err != nil || got == nil || got.ID != r.ID || len(got.Written()) != 1 {
		t.Fatalf("unrecorded revert = %+v, %v; want the started one", got, err)
	}
	if err := db.RevertRecorded(ctx, d.Bun, p, r.ID, 77); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRevert(ctx, d.Bun, p, r.ID, got.Fields); err != nil {
		t.Fatal(err)
	}
	if done, _ := db.RevertByKey(ctx, d.Bun, p, "k1"); done.State != db.RevertDone || done.RecordedChangeID == nil || *done.RecordedChangeID != 77 {
		t.Errorf("finished revert = %+v: its recorded change must stay", done)
	}
}

// TestRevertOfSeveralChanges: a revert's write of several calls (fields,
// then product rows) may reach Trail as several changes; each made before
// the revert finished is the revert's, its first recorded change stays the
// one noted, and a change made after it finished is the person's own.
func TestRevertOfSeveralChanges(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	p := addPortal(t, d, "parts")
	r := &db.Revert{PortalID: p, Key: "k1", UserID: 2, Entity: crm.SmartInvoice, EntityID: 3, ChangeID: 9,
		Fields: []db.RevertField{{Field: "PRODUCT_ROWS", Writable: true, Chosen: true}}}
	if err := db.AddRevert(ctx, d.Bun, r); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.ClaimRevert(ctx, d.Bun, p, 2, "k1"); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	written := []db.RevertField{{Field: "PRODUCT_ROWS", Writable: true, Chosen: true, Outcome: db.OutcomeWritten}}
	if err := db.StartRevert(ctx, d.Bun, p, r.ID, written); err != nil {
		t.Fatal(err)
	}
	first := time.Now().Add(-time.Second)
	if got, err := db.RevertOfChange(ctx, d.Bun, p, crm.SmartInvoice, 3, 2, first); err != nil || got == nil {
		t.Fatalf("first part: %+v, %v", got, err)
	}
	if err := db.RevertRecorded(ctx, d.Bun, p, r.ID, 77); err != nil {
		t.Fatal(err)
	}
	// Still writing: a second change is the revert's too.
	if got, err := db.RevertOfChange(ctx, d.Bun, p, crm.SmartInvoice, 3, 2, time.Now()); err != nil || got == nil {
		t.Fatalf("second part while writing: %+v, %v", got, err)
	}
	if err := db.FinishRevert(ctx, d.Bun, p, r.ID, written); err != nil {
		t.Fatal(err)
	}
	// Finished: a change made before it finished is still its own …
	if got, err := db.RevertOfChange(ctx, d.Bun, p, crm.SmartInvoice, 3, 2, first); err != nil || got == nil {
		t.Fatalf("a part recorded after the revert finished: %+v, %v", got, err)
	}
	if ok, err := db.AwaitingReverts(ctx, d.Bun, p); err != nil || !ok {
		t.Errorf("awaiting reverts = %v, %v; a just-finished revert's parts may still come", ok, err)
	}
	if err := db.RevertRecorded(ctx, d.Bun, p, r.ID, 78); err != nil {
		t.Fatal(err)
	}
	if done, _ := db.RevertByKey(ctx, d.Bun, p, "k1"); done.RecordedChangeID == nil || *done.RecordedChangeID != 77 {
		t.Errorf("recorded change = %v, want the first (77)", done.RecordedChangeID)
	}
	// … and a change made after it is not.
	if got, _ := db.RevertOfChange(ctx, d.Bun, p, crm.SmartInvoice, 3, 2, time.Now().Add(time.Minute)); got != nil {
		t.Errorf("a later change of the person matched the finished revert")
	}
}
