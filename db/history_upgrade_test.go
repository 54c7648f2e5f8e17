package db_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
	"github.com/trailhq/trail/migrations"
)

// oldRow is a history row as 0020 stored it, values as their JSON text.
type oldRow struct {
	entity          crm.Type
	entityID        int64
	changeID        int64
	action, field   string
	kind, itemKey   string
	oldValue        *string
	newValue        *string
	authorID        *int64
	changedAt       time.Time
	utcOffset       *int32
	source          string
	revertsChangeID *int64
	restoresMoment  *time.Time
}

// TestUpgradeStoresHistoryCompactly migrates a database holding history
// of every kind (every action, change kind and source, values of every
// kind, revert rows naming the change or the moment they put back, JSON
// of a shape Trail does not write) from 0020 to the head: every row reads
// back through Trail's code as it was, in the order it was recorded, its
// values stored as Trail's own writes would store them; and the upgraded
// table takes new rows.
func TestUpgradeStoresHistoryCompactly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := db.Open(ctx, dbtest.Empty(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if err := d.Migrate(ctx, migrationsBefore(t, "0021"), quiet()); err != nil {
		t.Fatal(err)
	}
	var portal int64
	if err := d.Pool.QueryRow(ctx, `INSERT INTO installations (member_id, domain, client_endpoint)
		VALUES ('m1', 'a.example', 'https://a.example/rest/') RETURNING id`).Scan(&portal); err != nil {
		t.Fatal(err)
	}

	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	moment := at.Add(-time.Hour)
	offset, author, reverted := int32(10800), int64(5), int64(1)
	text := func(raw json.RawMessage) *string {
		if raw == nil {
			return nil
		}
		s := string(raw)
		return &s
	}
	var rows []oldRow
	change := int64(0)
	add := func(r oldRow) {
		r.changedAt = at.Add(time.Duration(r.changeID) * time.Minute)
		rows = append(rows, r)
	}
	// One change of deal 10 per value, its old and new value of that kind.
	for i, v := range db.StoredValues {
		change++
		add(oldRow{entity: crm.Deal, entityID: 10, changeID: change, action: "updated", field: fmt.Sprintf("UF_%02d", i),
			kind: "changed", oldValue: text(v.Stored()), newValue: text(db.StoredValues[(i+1)%len(db.StoredValues)].Stored()),
			authorID: &author, utcOffset: &offset, source: "person"})
	}
	// A change of several rows: list values added and removed (one empty
	// item key each), an item edited in place, a filled-in field.
	change++
	for _, r := range []oldRow{
		{kind: "added", field: "UF_TAGS", newValue: text(history.Value{Kind: history.KindID, Text: "5"}.Stored())},
		{kind: "added", field: "UF_TAGS", newValue: text(history.Value{Kind: history.KindID, Text: "7"}.Stored())},
		{kind: "removed", field: "UF_TAGS", oldValue: text(history.Value{Kind: history.KindID, Text: "3"}.Stored())},
		{kind: "item_changed", field: "PHONE", itemKey: "1717", oldValue: text(db.StoredValues[14].Stored()),
			newValue: text(history.Value{Kind: history.KindItem, ID: "17", ValueType: "WORK", Text: "+1 555 0199"}.Stored())},
		{kind: "changed", field: "COMMENTS", newValue: text(history.Value{Kind: history.KindText, Text: "filled in"}.Stored())},
	} {
		r.entity, r.entityID, r.changeID, r.action, r.source = crm.Contact, 11, change, "updated", "automation"
		add(r)
	}
	// JSON Trail does not write: kept as it is.
	change++
	odd := `{"kind": "text", "note": "kept", "text": "odd"}`
	add(oldRow{entity: crm.Deal, entityID: 12, changeID: change, action: "updated", field: "TITLE", kind: "changed",
		oldValue: &odd, source: "integration"})
	// Creation and deletion of a record, by nobody known.
	change++
	add(oldRow{entity: crm.Lead, entityID: 13, changeID: change, action: "created", kind: "changed", source: "unknown"})
	change++
	add(oldRow{entity: crm.Lead, entityID: 13, changeID: change, action: "deleted", kind: "changed", source: "unknown"})
	// Reverts: one undoing change 1, one putting the record back as of a moment.
	change++
	add(oldRow{entity: crm.Deal, entityID: 10, changeID: change, action: "updated", field: "UF_00", kind: "changed",
		oldValue: text(db.StoredValues[1].Stored()), newValue: text(db.StoredValues[0].Stored()),
		authorID: &author, source: "revert", revertsChangeID: &reverted})
	change++
	add(oldRow{entity: crm.Deal, entityID: 10, changeID: change, action: "updated", field: "UF_01", kind: "changed",
		oldValue: text(db.StoredValues[2].Stored()), newValue: text(db.StoredValues[1].Stored()),
		authorID: &author, source: "revert", restoresMoment: &moment})
	for _, r := range rows {
		if _, err := d.Pool.Exec(ctx, `INSERT INTO history (portal_id, entity, entity_id, change_id, action, field, change_kind,
			item_key, old_value, new_value, author_id, changed_at, utc_offset, source, reverts_change_id, restores_moment)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, $12, $13, $14, $15, $16)`,
			portal, r.entity, r.entityID, r.changeID, r.action, r.field, r.kind, r.itemKey, r.oldValue, r.newValue,
			r.authorID, r.changedAt, r.utcOffset, r.source, r.revertsChangeID, r.restoresMoment); err != nil {
			t.Fatal(err)
		}
	}
	// The values as 0020 gives them back (jsonb's own spelling).
	stored := map[[2]int64][2]*string{}
	q, err := d.Pool.Query(ctx, `SELECT change_id, row_number() OVER (PARTITION BY change_id ORDER BY id) - 1, old_value::text, new_value::text FROM history`)
	if err != nil {
		t.Fatal(err)
	}
	for q.Next() {
		var k [2]int64
		var v [2]*string
		if err := q.Scan(&k[0], &k[1], &v[0], &v[1]); err != nil {
			t.Fatal(err)
		}
		stored[k] = v
	}
	if q.Err() != nil || len(stored) != len(rows) {
		t.Fatalf("%d rows stored of %d: %v", len(stored), len(rows), q.Err())
	}

	if err := d.Migrate(ctx, migrations.FS, quiet()); err != nil {
		t.Fatal(err)
	}

	var got []db.HistoryRow
	for _, rec := range []struct {
		t  crm.Type
		id int64
	}{{crm.Deal, 10}, {crm.Contact, 11}, {crm.Deal, 12}, {crm.Lead, 13}} {
		steps, err := db.RecordSteps(ctx, d.Bun, portal, rec.t, rec.id)
		if err != nil {
			t.Fatal(err)
		}
		// RecordSteps lists changes newest first, rows of a change in order.
		for i := len(steps) - 1; i >= 0; {
			j := i
			for j > 0 && steps[j-1].ChangeID == steps[i].ChangeID {
				j--
			}
			got = append(got, steps[j:i+1]...)
			i = j - 1
		}
	}
	sortByChange(got)
	if len(got) != len(rows) {
		t.Fatalf("%d rows after the upgrade, want %d", len(got), len(rows))
	}
	for i, r := range rows {
		g := got[i]
		want := []any{portal, r.entity, r.entityID, r.changeID, r.action, r.field, r.kind, r.itemKey,
			deref64(r.authorID), deref32(r.utcOffset), r.source, deref64(r.revertsChangeID), derefTime(r.restoresMoment)}
		have := []any{g.PortalID, g.Entity, g.EntityID, g.ChangeID, g.Action, g.Field, g.ChangeKind, g.ItemKey,
			deref64(g.AuthorID), deref32(g.UTCOffset), g.Source, deref64(g.RevertsChangeID), derefTime(g.RestoresMoment)}
		if !reflect.DeepEqual(have, want) || !g.ChangedAt.Equal(r.changedAt) {
			t.Errorf("row %d after the upgrade:\n got %v\nwant %v", i, have, want)
		}
		if !sameJSON(g.OldValue, r.oldValue) || !sameJSON(g.NewValue, r.newValue) {
			t.Errorf("row %d's values after the upgrade: %s -> %s, want %v -> %v", i, g.OldValue, g.NewValue, deref(r.oldValue), deref(r.newValue))
		}
		// Stored as Trail's writes store them: one form per value.
		v := stored[[2]int64{r.changeID, int64(g.Seq)}]
		if g.OldStored != db.CompactValue(bytesOf(v[0])) || g.NewStored != db.CompactValue(bytesOf(v[1])) {
			t.Errorf("row %d stored as %q, %q; Trail stores %q, %q", i, g.OldStored, g.NewStored, db.CompactValue(bytesOf(v[0])), db.CompactValue(bytesOf(v[1])))
		}
	}
	if v := (history.Value{}); json.Unmarshal(got[len(db.StoredValues)+3].NewValue, &v) != nil || v.ID != "17" || v.Text != "+1 555 0199" {
		t.Errorf("the edited phone reads %s", got[len(db.StoredValues)+3].NewValue)
	}

	// The upgraded table takes Trail's writes and its updates.
	if err := db.NameDeleter(ctx, d.Pool, portal, crm.Lead, 13, 9); err != nil {
		t.Fatal(err)
	}
	next := []*db.HistoryRow{{PortalID: portal, Entity: crm.Deal, EntityID: 12, ChangeID: change + 1, Action: "updated",
		Field: "TITLE", ChangeKind: "changed", OldValue: db.StoredValues[0].Stored(), ChangedAt: at.Add(time.Hour), Source: "person"}}
	if err := db.AddHistory(ctx, d.Pool, next); err != nil {
		t.Fatal(err)
	}
	if rows, err := db.ChangeRows(ctx, d.Bun, portal, crm.Lead, 13, 4+int64(len(db.StoredValues))); err != nil || len(rows) != 1 || rows[0].AuthorID == nil || *rows[0].AuthorID != 9 {
		t.Errorf("the deletion's rows after naming its deleter: %+v, %v", rows, err)
	}
	if rows, err := db.RecordHistory(ctx, d.Bun, portal, crm.Deal, 12, db.HistoryFilter{}, nil, 1); err != nil || len(rows) != 1 || string(rows[0].OldValue) != string(db.StoredValues[0].Stored()) {
		t.Errorf("a change written after the upgrade reads %+v, %v", rows, err)
	}
	var one db.HistoryRow
	if err := d.Bun.NewSelect().Model(&one).Where("portal_id = ? AND change_id = ?", portal, change+1).Scan(ctx); err != nil || one.Source != "person" || one.Action != "updated" {
		t.Errorf("one row selected by itself: %+v, %v", one, err)
	}
}

func sortByChange(rows []db.HistoryRow) {
	for i := 1; i < len(rows); i++ {
		for j := i; j > 0 && (rows[j].ChangeID < rows[j-1].ChangeID || rows[j].ChangeID == rows[j-1].ChangeID && rows[j].Seq < rows[j-1].Seq); j-- {
			rows[j], rows[j-1] = rows[j-1], rows[j]
		}
	}
}

// sameJSON reports whether a value read back means what was stored.
func sameJSON(got json.RawMessage, want *string) bool {
	if want == nil {
		return got == nil
	}
	var a, b any
	return json.Unmarshal(got, &a) == nil && json.Unmarshal([]byte(*want), &b) == nil && reflect.DeepEqual(a, b)
}

func bytesOf(s *string) json.RawMessage {
	if s == nil {
		return nil
	}
	return json.RawMessage(*s)
}

func deref(s *string) string {
	if s == nil {
		return "NULL"
	}
	return *s
}

func deref64(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func deref32(p *int32) any {
	if p == nil {
		return nil
	}
	return *p
}

func derefTime(p *time.Time) any {
	if p == nil {
		return nil
	}
	return p.UTC().Format(time.RFC3339Nano)
}
