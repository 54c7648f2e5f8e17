package jobs

import (
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// TestCoalesceVouchesForDeletions: a deleter comes only from an offline
// delete record (read by Trail with its own grant), never from an online
// delivery or from a record of another kind; the time is when Trail
// received the first delete event.
func TestCoalesceVouchesForDeletions(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	uid := func(n int64) *int64 { return &n }
	row := func(id int64, kind db.InboxKind, origin db.Origin, actor *int64, after time.Duration) db.InboxRow {
		return db.InboxRow{ID: id, Entity: crm.Deal, EntityID: 5, Kind: kind, Origin: origin, ActorID: actor, ReceivedAt: t0.Add(after)}
	}
	tests := []struct {
		name  string
		rows  []db.InboxRow
		kind  db.InboxKind
		heard time.Time
		by    *int64
	}{
		{"online delete", []db.InboxRow{row(1, "delete", db.OriginOnline, uid(666), 0)}, "delete", t0, nil},
		{"offline delete", []db.InboxRow{row(1, "delete", db.OriginOffline, uid(3), 0)}, "delete", t0, uid(3)},
		{"offline update, online delete", []db.InboxRow{
			row(1, "update", db.OriginOffline, uid(3), 0), row(2, "delete", db.OriginOnline, nil, time.Second),
		}, "delete", t0.Add(time.Second), nil},
		{"online delete, later offline delete", []db.InboxRow{
			row(1, "delete", db.OriginOnline, nil, 0), row(2, "delete", db.OriginOffline, uid(4), time.Minute),
		}, "delete", t0, uid(4)},
		{"no delete", []db.InboxRow{row(1, "update", db.OriginOffline, uid(3), 0)}, "update", time.Time{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := coalesce(tt.rows, 10)
			if len(recs) != 1 {
				t.Fatalf("%d records", len(recs))
			}
			p := recs[0]
			if p.kind != tt.kind || !p.deletion.heard.Equal(tt.heard) {
				t.Errorf("kind %s heard %s, want %s %s", p.kind, p.deletion.heard, tt.kind, tt.heard)
			}
			if (p.deletion.by == nil) != (tt.by == nil) || p.deletion.by != nil && *p.deletion.by != *tt.by {
				t.Errorf("deleter %v, want %v", p.deletion.by, tt.by)
			}
		})
	}
}

func TestDeletedAt(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name  string
		heard time.Time
		want  time.Time
	}{
		{"no delete event: when Trail found it gone", time.Time{}, now},
		{"when Trail received the delete event", now.Add(-time.Hour), now.Add(-time.Hour)},
		{"never after now", now.Add(time.Hour), now},
	} {
		if got := deletedAt(deletion{heard: tt.heard}, now); !got.Equal(tt.want) {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestDrainRecordsWhatThePortalConfirms: a drain fetches the records its
// inbox names and writes their history, snapshots and the removal of the
// rows; a delete event is believed only when the portal no longer has the
// record.
func TestDrainRecordsWhatThePortalConfirms(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Deals: 3})
	b.done(t, SyncArgs{PortalID: b.portal, Entity: crm.Deal})
	admin := b.p.AdminID()
	if err := b.p.UpdateRecord("deal", 1, admin, map[string]any{"TITLE": "Roof repair"}); err != nil {
		t.Fatal(err)
	}
	if err := b.p.DeleteRecord("deal", 2, admin); err != nil {
		t.Fatal(err)
	}
	id, err := b.p.AddRecord("deal", admin, map[string]any{"TITLE": "Shed"})
	if err != nil {
		t.Fatal(err)
	}
	rows := []db.InboxRow{
		{Entity: crm.Deal, EntityID: 1, Kind: db.InboxUpdate, Origin: db.OriginOnline, UserAuth: true},
		{Entity: crm.Deal, EntityID: 2, Kind: db.InboxDelete, Origin: db.OriginOnline},
		{Entity: crm.Deal, EntityID: 3, Kind: db.InboxDelete, Origin: db.OriginOnline}, // a forged hint
		{Entity: crm.Deal, EntityID: int64(id), Kind: db.InboxAdd, Origin: db.OriginOnline, UserAuth: true},
		{Entity: crm.Lead, EntityID: 1, Kind: db.InboxAdd, Origin: db.OriginOnline}, // leads untracked below
	}
	set := db.DefaultSettings(b.portal)
	set.Entities = []crm.Type{crm.Deal}
	if err := db.SaveSettings(b.ctx, b.d.Bun, set); err != nil {
		t.Fatal(err)
	}
	if err := db.AddToInbox(b.ctx, b.d.Bun, b.portal, rows); err != nil {
		t.Fatal(err)
	}
	b.done(t, DrainArgs{PortalID: b.portal})

	if n := b.count(t, `SELECT count(*) FROM inbox WHERE portal_id = $1`, b.portal); n != 0 {
		t.Errorf("%d inbox rows left", n)
	}
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = 1 AND action = $3 AND field = 'TITLE'
		AND author_id = $2 AND source = $4`, b.portal, admin, db.CodeUpdated, db.CodePerson); n != 1 {
		t.Errorf("%d title changes of deal 1 by the admin", n)
	}
	if n := b.count(t, `SELECT count(DISTINCT change_id) FROM history WHERE portal_id = $1 AND entity_id = 2 AND action = $2`, b.portal, db.CodeDeleted); n != 1 {
		t.Errorf("%d deletions of deal 2", n)
	}
	if n := b.count(t, `SELECT count(*) FROM snapshots WHERE portal_id = $1 AND entity_id = 2 AND deleted_at IS NOT NULL`, b.portal); n != 1 {
		t.Error("deal 2's snapshot is not marked deleted")
	}
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = 3 AND action = $2`, b.portal, db.CodeDeleted); n != 0 {
		t.Errorf("deal 3, which the portal still has, recorded deleted")
	}
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = $2 AND action = $3`, b.portal, id, db.CodeCreated); n == 0 {
		t.Error("the new deal's creation is not recorded")
	}
	if n := b.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND entity = 1`, b.portal); n != 0 {
		t.Errorf("%d history rows of an untracked type", n)
	}
}

// TestDrainOfARevokedGrant: a portal that refuses Trail's grant and its
// refresh is marked for re-authorisation; its inbox waits.
func TestDrainOfARevokedGrant(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{Deals: 1})
	if err := db.AddToInbox(b.ctx, b.d.Bun, b.portal, []db.InboxRow{{Entity: crm.Deal, EntityID: 1, Kind: db.InboxUpdate, Origin: db.OriginOnline}}); err != nil {
		t.Fatal(err)
	}
	b.p.RevokeTokens()
	b.done(t, DrainArgs{PortalID: b.portal})
	in, err := db.InstallationByID(b.ctx, b.d.Bun, b.portal)
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != db.StatusReauth {
		t.Errorf("status %s, want %s", in.Status, db.StatusReauth)
	}
	if n := b.count(t, `SELECT count(*) FROM inbox WHERE portal_id = $1`, b.portal); n != 1 {
		t.Errorf("%d inbox rows, want the one waiting", n)
	}
}
