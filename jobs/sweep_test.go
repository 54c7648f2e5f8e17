package jobs

import (
	"testing"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// TestSweepEnqueuesWhatWaits: the sweep enqueues a drain for a portal with
// inbox rows and restarts a baseline left pending; with Reconcile, a
// reconciliation of every active portal.
func TestSweepEnqueuesWhatWaits(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Leads: 1})
	if err := db.AddToInbox(b.ctx, b.d.Bun, b.portal, []db.InboxRow{{Entity: crm.Lead, EntityID: 1, Kind: db.InboxUpdate, Origin: db.OriginOnline}}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveSettings(b.ctx, b.d.Bun, db.DefaultSettings(b.portal)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.LoadSyncState(b.ctx, b.d.Bun, b.portal, crm.Lead); err != nil { // a baseline left pending
		t.Fatal(err)
	}
	b.done(t, SweepArgs{})
	driver := riverpgxv5.New(b.d.Pool)
	if job := rivertest.RequireInserted(b.ctx, t, driver, DrainArgs{}, nil); job.Args.PortalID != b.portal {
		t.Errorf("drain of portal %d", job.Args.PortalID)
	}
	if job := rivertest.RequireInserted(b.ctx, t, driver, SyncArgs{}, nil); job.Args != (SyncArgs{PortalID: b.portal, Entity: crm.Lead}) {
		t.Errorf("sync %+v", job.Args)
	}
	b.done(t, SweepArgs{Reconcile: true})
	if job := rivertest.RequireInserted(b.ctx, t, driver, ReconcileArgs{}, nil); job.Args.PortalID != b.portal {
		t.Errorf("reconciliation of portal %d", job.Args.PortalID)
	}
}
