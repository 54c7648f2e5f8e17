package jobs

import (
	"testing"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// TestOfflineRecordsSeparateAddUpdateDelete: the portal queues a deal's
// ADD, UPDATE and DELETE as separate records; the pull records the
// creation of a deal edited right after it was added, the edit of another
// and the deletion with its deleter.
func TestOfflineRecordsSeparateAddUpdateDelete(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Deals: 2})
	b.done(t, SetupArgs{PortalID: b.portal})
	b.completed(t, SyncArgs{}.Kind(), `"deal"`)
	admin := b.p.AdminID()
	id, err := b.p.AddRecord("deal", 2, map[string]any{"TITLE": "Shed"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.p.UpdateRecord("deal", id, 3, map[string]any{"TITLE": "Big shed"}); err != nil {
		t.Fatal(err)
	}
	if err := b.p.UpdateRecord("deal", 1, admin, map[string]any{"TITLE": "Roof repair"}); err != nil {
		t.Fatal(err)
	}
	if err := b.p.DeleteRecord("deal", 2, 2); err != nil {
		t.Fatal(err)
	}
	b.done(t, OfflineArgs{PortalID: b.portal})
	b.completed(t, DrainArgs{}.Kind(), "")
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = $2 AND action = $3`, b.portal, id, db.CodeCreated); n == 0 {
		t.Error("the creation of the deal added and edited before the pull is not recorded")
	}
	if n := b.count(t, `SELECT count(DISTINCT change_id) FROM history WHERE portal_id = $1 AND entity_id = $2`, b.portal, id); n != 1 {
		t.Errorf("the new deal has %d changes, want its creation only", n)
	}
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = 1 AND field = 'TITLE'
		AND author_id = $2`, b.portal, admin); n != 1 {
		t.Errorf("%d title changes of deal 1 by the admin", n)
	}
	if n := b.count(t, `SELECT count(DISTINCT change_id) FROM history WHERE portal_id = $1 AND entity_id = 2 AND action = $2
		AND author_id = 2`, b.portal, db.CodeDeleted); n != 1 {
		t.Errorf("%d deletions of deal 2 by user 2", n)
	}
}

// TestOfflinePlainModeOnAPlanWithoutReservation: where the plan refuses
// clear=0 with WRONG_LICENSE, the pull reads in the plain mode and still
// records the change and empties the queue.
func TestOfflinePlainModeOnAPlanWithoutReservation(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Deals: 2, Plan: b24test.PlanStandard})
	b.done(t, SetupArgs{PortalID: b.portal})
	b.completed(t, SyncArgs{}.Kind(), `"deal"`)
	admin := b.p.AdminID()
	if err := b.p.UpdateRecord("deal", 1, admin, map[string]any{"TITLE": "Roof repair"}); err != nil {
		t.Fatal(err)
	}
	c := b.client(t)
	if _, err := c.GetOfflineEvents(b.ctx, b24.OfflineQuery{Keep: true}); err == nil {
		t.Fatal("the standard plan reserved offline events")
	}
	b.done(t, OfflineArgs{PortalID: b.portal})
	b.completed(t, DrainArgs{}.Kind(), "")
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = 1 AND field = 'TITLE'
		AND author_id = $2 AND source = $3`, b.portal, admin, db.CodePerson); n != 1 {
		t.Errorf("%d title changes of deal 1 by the admin", n)
	}
	page, err := c.GetOfflineEvents(b.ctx, b24.OfflineQuery{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 0 {
		t.Errorf("%d events left in the offline queue", len(page.Events))
	}
}

// TestOfflineRowsCoalesceToACreation: the ADD and UPDATE records of one
// deal make one record to fetch, kept a creation; a DELETE after them
// makes it a deletion.
func TestOfflineRowsCoalesceToACreation(t *testing.T) {
	rows := offlineRows([]b24.OfflineEvent{
		{Event: "ONCRMDEALADD", Data: []byte(`{"FIELDS":{"ID":"7"}}`)},
		{Event: "ONCRMDEALUPDATE", Data: []byte(`{"FIELDS":{"ID":"7"}}`)},
		{Event: "ONCRMDEALUPDATE", Data: []byte(`{"FIELDS":{"ID":"8"}}`)},
		{Event: "ONCRMDEALADD", Data: []byte(`{"FIELDS":{"ID":"9"}}`)},
		{Event: "ONCRMDEALUPDATE", Data: []byte(`{"FIELDS":{"ID":"9"}}`)},
		{Event: "ONCRMDEALDELETE", Data: []byte(`{"FIELDS":{"ID":"9"}}`)},
	})
	recs := coalesce(rows, 10)
	if len(recs) != 3 {
		t.Fatalf("%d records to fetch, want 3", len(recs))
	}
	for i, want := range []struct {
		id   int64
		kind db.InboxKind
	}{{7, db.InboxAdd}, {8, db.InboxUpdate}, {9, db.InboxDelete}} {
		if r := recs[i]; r.entity != crm.Deal || r.id != want.id || r.kind != want.kind {
			t.Errorf("record %d = %s %d %s, want deal %d %s", i, r.entity, r.id, r.kind, want.id, want.kind)
		}
	}
}

// client is Trail's client of the bench portal.
func (b *bench) client(t *testing.T) *b24.Client {
	t.Helper()
	in, err := db.InstallationByID(b.ctx, b.d.Bun, b.portal)
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.deps.Clients.For(in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
