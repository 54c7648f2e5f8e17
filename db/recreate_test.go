package db_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

// deleteRecord stores a record's last state as deleted at, with its
// deletion's history row by author.
func deleteRecord(t *testing.T, d *db.DB, portal int64, e crm.Type, id int64, at time.Time, author int64) {
	t.Helper()
	ctx := context.Background()
	snap := &db.Snapshot{PortalID: portal, Entity: e, EntityID: id, Data: json.RawMessage(`{"TITLE":"record"}`), Format: 2, DeletedAt: &at}
	if err := db.PutSnapshots(ctx, d.Pool, []*db.Snapshot{snap}); err != nil {
		t.Fatal(err)
	}
	change, _, err := db.ChangeIDsAndReverts(ctx, d.Bun, portal, 1)
	if err != nil {
		t.Fatal(err)
	}
	row := &db.HistoryRow{PortalID: portal, Entity: e, EntityID: id, ChangeID: change[0], Action: "deleted", Field: "TITLE",
		ChangeKind: "changed", AuthorID: &author, ChangedAt: at, Source: "unknown"}
	if err := db.AddHistory(ctx, d.Pool, []*db.HistoryRow{row}); err != nil {
		t.Fatal(err)
	}
}

// TestDeletedRecordsPaged: a portal's deleted records come newest first,
// page after page by key without gaps or repeats, of one type when asked,
// and never another portal's; a record whose deletion is past the
// retention (its row pruned) is no longer listed.
func TestDeletedRecordsPaged(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	p, other := addPortal(t, d, "deleted-a"), addPortal(t, d, "deleted-b")
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range int64(5) {
		deleteRecord(t, d, p, crm.Deal, 10+i, base.Add(time.Duration(i)*time.Minute), 2)
	}
	deleteRecord(t, d, p, crm.Contact, 3, base.Add(2*time.Minute), 3) // same moment as deal 12
	deleteRecord(t, d, other, crm.Deal, 99, base, 2)

	var seen []string
	var after *db.DeletedCursor
	for {
		page, err := db.DeletedRecords(ctx, d.Bun, p, nil, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, r := range page {
			seen = append(seen, r.Entity.String()+strconv.FormatInt(r.EntityID, 10))
			if r.AuthorID == nil || r.ChangeID == 0 {
				t.Errorf("%v: no deletion entry", r)
			}
		}
		last := page[len(page)-1]
		after = &db.DeletedCursor{At: last.DeletedAt, Entity: last.Entity, EntityID: last.EntityID}
	}
	want := []string{"deal14", "deal13", "contact3", "deal12", "deal11", "deal10"}
	if len(seen) != len(want) {
		t.Fatalf("pages listed %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("pages listed %v, want %v", seen, want)
		}
	}
	contacts, err := db.DeletedRecords(ctx, d.Bun, p, []crm.Type{crm.Contact}, nil, 10)
	if err != nil || len(contacts) != 1 || contacts[0].EntityID != 3 {
		t.Errorf("contacts %v %v", contacts, err)
	}
	if _, err := db.DeletedOne(ctx, d.Bun, p, crm.Deal, 99); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("another portal's deleted deal: %v", err)
	}
	if _, err := d.Bun.ExecContext(ctx, "DELETE FROM history WHERE portal_id = ? AND entity_id = 10", p); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DeletedOne(ctx, d.Bun, p, crm.Deal, 10); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("a deletion past the retention is still listed: %v", err)
	}
}

// TestRecreateOnce: of two restores of one deleted record only one claims
// the write; once it created a record no other may, and a refused one
// leaves the way open.
func TestRecreateOnce(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	p := addPortal(t, d, "recreate")
	add := func(key string) {
		r := &db.Revert{PortalID: p, Key: key, UserID: 1, Entity: crm.Deal, EntityID: 5, ChangeID: 9, Recreate: true}
		if err := db.AddRevert(ctx, d.Bun, r); err != nil {
			t.Fatal(err)
		}
	}
	add("a")
	add("b")
	if ok, err := db.ClaimRecreate(ctx, d.Bun, p, 1, "a"); !ok || err != nil {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	if _, err := db.ClaimRecreate(ctx, d.Bun, p, 1, "b"); !errors.Is(err, db.ErrRecreated) {
		t.Fatalf("a second restore while the first writes: %v", err)
	}
	// The first is refused: nothing was created.
	a, _ := db.RevertByKey(ctx, d.Bun, p, "a")
	if err := db.FinishRevert(ctx, d.Bun, p, a.ID, nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.ClaimRecreate(ctx, d.Bun, p, 1, "b"); !ok || err != nil {
		t.Fatalf("a restore after a refused one: %v %v", ok, err)
	}
	b, _ := db.RevertByKey(ctx, d.Bun, p, "b")
	if err := db.Recreated(ctx, d, p, b.ID, crm.Deal, 5, 21); err != nil {
		t.Fatal(err)
	}
	if err := db.FinishRevert(ctx, d.Bun, p, b.ID, nil); err != nil {
		t.Fatal(err)
	}
	add("c")
	if _, err := db.ClaimRecreate(ctx, d.Bun, p, 1, "c"); !errors.Is(err, db.ErrRecreated) {
		t.Fatalf("a restore of a restored record: %v", err)
	}
	if r, err := db.RecreateOf(ctx, d.Bun, p, crm.Deal, 5); err != nil || r.RecreatedID == nil || *r.RecreatedID != 21 {
		t.Errorf("the restore of deal 5: %+v %v", r, err)
	}
}
