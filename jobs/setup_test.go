package jobs

import (
	"testing"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/bindings"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// TestSetupMakesThePortalReady: setup binds the online and offline events
// and the tabs, stores the field metadata, and starts one baseline per
// tracked type; a second run binds nothing twice.
func TestSetupMakesThePortalReady(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Deals: 3})
	if queued, err := BaselineQueued(b.ctx, b.d.Bun, b.portal); err != nil || queued {
		t.Fatalf("baseline queued before setup: %v %v", queued, err)
	}
	b.done(t, SetupArgs{PortalID: b.portal})
	if queued, err := BaselineQueued(b.ctx, b.d.Bun, b.portal); err != nil || !queued {
		t.Errorf("baseline not queued after setup: %v %v", queued, err)
	}
	in, err := db.InstallationByID(b.ctx, b.d.Bun, b.portal)
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.deps.Clients.For(in)
	if err != nil {
		t.Fatal(err)
	}
	handlers, err := c.EventHandlers(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Three app events, the type and field events, each record event of
	// the four legacy types, estimates and the dynamic items (smart
	// invoices) online and offline, and a deal's pipeline move online and
	// offline.
	if want := 3 + len(bindings.TypeEvents) + 6*3*2 + 2; len(handlers) != want {
		t.Errorf("%d event handlers bound, want %d", len(handlers), want)
	}
	if tabs := b.p.Placements(); len(tabs) != 6 {
		t.Errorf("tabs %+v, want the six detail tabs (four types, estimates, invoices)", tabs)
	}
	if n := b.count(t, `SELECT count(*) FROM portal_meta WHERE portal_id = $1 AND kind IN ('fields:2', 'users', 'statuses')`, b.portal); n != 3 {
		t.Errorf("%d of deal fields, users and statuses stored", n)
	}
	rivertest.RequireManyInserted(b.ctx, t, riverpgxv5.New(b.d.Pool), []rivertest.ExpectedJob{
		{Args: SyncArgs{}}, {Args: SyncArgs{}}, {Args: SyncArgs{}}, {Args: SyncArgs{}}, {Args: SyncArgs{}}, {Args: SyncArgs{}},
	})
	b.completed(t, SyncArgs{}.Kind(), `"deal"`)
	if n := b.count(t, `SELECT count(*) FROM snapshots WHERE portal_id = $1 AND entity = 2`, b.portal); n != 3 {
		t.Errorf("%d deals in the baseline, want 3", n)
	}

	b.done(t, SetupArgs{PortalID: b.portal})
	again, err := c.EventHandlers(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != len(handlers) || len(b.p.Placements()) != 6 {
		t.Errorf("after a second setup: %d handlers and %d tabs", len(again), len(b.p.Placements()))
	}
}

// TestJobsSkipAPortalThatIsNotCallable: a job of an uninstalled or unknown
// portal completes without calling it.
func TestJobsSkipAPortalThatIsNotCallable(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Deals: 1})
	if err := db.MarkUninstalled(b.ctx, b.d.Bun, b.portal); err != nil {
		t.Fatal(err)
	}
	before := b.p.Stats()
	b.done(t, SetupArgs{PortalID: b.portal})
	b.done(t, SyncArgs{PortalID: b.portal, Entity: crm.Deal})
	b.done(t, DrainArgs{PortalID: b.portal + 1})
	if after := b.p.Stats(); after.Requests != before.Requests {
		t.Errorf("the portal was called %d times", after.Requests-before.Requests)
	}
}
