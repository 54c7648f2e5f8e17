package jobs

import (
	"testing"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// TestOfflinePullsTheQueueIntoHistory: a pull moves the portal's offline
// queue into the inbox with a drain, which records the change with the
// user the portal named; the queue is cleared after the commit.
func TestOfflinePullsTheQueueIntoHistory(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Deals: 2})
	b.done(t, SetupArgs{PortalID: b.portal}) // binds the offline events
	b.completed(t, SyncArgs{}.Kind(), `"deal"`)
	admin := b.p.AdminID()
	if err := b.p.UpdateRecord("deal", 1, admin, map[string]any{"TITLE": "Roof repair"}); err != nil {
		t.Fatal(err)
	}
	b.done(t, OfflineArgs{PortalID: b.portal})
	b.completed(t, DrainArgs{}.Kind(), "")
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = 1 AND field = 'TITLE'
		AND author_id = $2 AND source = $3`, b.portal, admin, db.CodePerson); n != 1 {
		t.Errorf("%d title changes of deal 1 by the admin", n)
	}
	in, err := db.InstallationByID(b.ctx, b.d.Bun, b.portal)
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.deps.Clients.For(in)
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.GetOfflineEvents(b.ctx, b24.OfflineQuery{Keep: true, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 0 {
		t.Errorf("%d events left in the offline queue", len(page.Events))
	}
}

// TestOfflineRows: queued record events of every type (estimates, smart
// processes with ENTITY_TYPE_ID too) become inbox rows naming the user;
// a dynamic item event naming a type that has its own events, and records
// without an ID, are passed over.
func TestOfflineRows(t *testing.T) {
	rows := offlineRows([]b24.OfflineEvent{
		{Event: "ONCRMDEALUPDATE", Data: []byte(`{"FIELDS":{"ID":"7"}}`), Additional: []byte(`{"user_id":"3","auth_connector":"x"}`)},
		{Event: "ONCRMLEADDELETE", Data: []byte(`{"FIELDS":{"ID":8}}`)},
		{Event: "ONCRMQUOTEUPDATE", Data: []byte(`{"FIELDS":{"ID":"9"}}`)},
		{Event: "ONCRMDYNAMICITEMUPDATE", Data: []byte(`{"FIELDS":{"ID":"10","ENTITY_TYPE_ID":"156"}}`)},
		{Event: "ONCRMDYNAMICITEMUPDATE", Data: []byte(`{"FIELDS":{"ID":"11","ENTITY_TYPE_ID":"2"}}`)},
		{Event: "ONCRMDEALADD", Data: []byte(`{"FIELDS":{}}`)},
		{Event: "ONAPPUPDATE"},
	})
	if len(rows) != 4 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	if rows[2].Entity != crm.Quote || rows[2].EntityID != 9 || rows[3].Entity != crm.Type(156) || rows[3].EntityID != 10 {
		t.Errorf("estimate and smart-process rows %+v %+v", rows[2], rows[3])
	}
	if r := rows[0]; r.Entity != crm.Deal || r.EntityID != 7 || r.Kind != db.InboxUpdate || r.Origin != db.OriginOffline ||
		!r.UserAuth || r.ActorID == nil || *r.ActorID != 3 || r.AuthConnector != "x" {
		t.Errorf("first row %+v", r)
	}
	if r := rows[1]; r.Entity != crm.Lead || r.EntityID != 8 || r.Kind != db.InboxDelete || r.UserAuth || r.ActorID != nil {
		t.Errorf("second row %+v", r)
	}
}
