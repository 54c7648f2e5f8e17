package db_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
	"github.com/trailhq/trail/migrations"
)

// typeIDs are the stored names of the four types before 0010 and the
// entityTypeIds that replace them.
var typeIDs = map[string]float64{"lead": 1, "deal": 2, "contact": 3, "company": 4}

// What the release before 0010 stored for two portals: rows of every
// table of the four types, settings with ignored fields and untracked
// types, and a portal whose settings row holds the column defaults.
const storedByNames = `
INSERT INTO history (portal_id, entity, entity_id, change_id, action, field, change_kind, item_key, old_value, new_value, author_id, changed_at, source, utc_offset)
VALUES
 ($1, 'deal', 10, 1, 'updated', 'TITLE', 'changed', '', '{"kind":"text","text":"Old"}', '{"kind":"text","text":"New"}', 5, '2026-03-01 10:00:00+00', 'person', 10800),
 ($1, 'deal', 10, 1, 'updated', 'OPPORTUNITY', 'changed', '', '{"kind":"money","text":"12500"}', '{"kind":"money","text":"11800"}', 5, '2026-03-01 10:00:00+00', 'person', 10800),
 ($1, 'deal', 10, 2, 'created', '', 'changed', '', NULL, NULL, NULL, '2026-02-01 09:00:00+00', 'unknown', NULL),
 ($1, 'lead', 11, 3, 'updated', 'STATUS_ID', 'changed', '', NULL, '{"kind":"text","text":"NEW"}', 6, '2026-03-02 10:00:00+00', 'automation', NULL),
 ($1, 'contact', 12, 4, 'updated', 'PHONE', 'added', 'WORK', NULL, '{"kind":"text","text":"+1 555"}', 5, '2026-03-03 10:00:00+00', 'integration', -18000),
 ($1, 'company', 13, 5, 'deleted', '', 'changed', '', NULL, NULL, NULL, '2026-03-04 10:00:00+00', 'unknown', NULL),
 ($2, 'deal', 10, 6, 'updated', 'TITLE', 'changed', '', '{"kind":"text","text":"Other portal"}', NULL, 9, '2026-03-05 10:00:00+00', 'person', 0);

INSERT INTO snapshots (portal_id, entity, entity_id, data, format, modified_at, deleted_at, tracked_since, updated_at)
VALUES
 ($1, 'deal', 10, '{"ID":"10","TITLE":"New","OPPORTUNITY":"11800.00"}', 2, '2026-03-01 10:00:00+00', NULL, '2026-01-01 00:00:00+00', '2026-03-01 10:00:01+00'),
 ($1, 'lead', 11, '{"ID":"11","STATUS_ID":"NEW"}', 1, NULL, NULL, '2026-01-01 00:00:00+00', '2026-03-02 10:00:01+00'),
 ($1, 'contact', 12, '{"ID":"12","NAME":"Ann","PHONE":[{"VALUE":"+1 555","VALUE_TYPE":"WORK"}]}', 2, '2026-03-03 10:00:00+00', NULL, '2026-01-01 00:00:00+00', '2026-03-03 10:00:01+00'),
 ($1, 'company', 13, '{"ID":"13","TITLE":"Gone Ltd"}', 2, NULL, '2026-03-04 10:00:00+00', '2026-01-01 00:00:00+00', '2026-03-04 10:00:01+00'),
 ($2, 'deal', 10, '{"ID":"10","TITLE":null}', 2, NULL, NULL, '2026-01-01 00:00:00+00', '2026-03-05 10:00:01+00');

INSERT INTO inbox (portal_id, entity, entity_id, kind, origin, user_auth, auth_connector, actor_id, received_at)
VALUES
 ($1, 'deal', 10, 'update', 'online', true, '', NULL, '2026-03-06 10:00:00+00'),
 ($1, 'lead', 11, 'add', 'offline', false, 'crm_connector', 7, '2026-03-06 10:00:01+00'),
 ($1, 'contact', 12, 'update', 'reconcile', false, '', NULL, '2026-03-06 10:00:02+00'),
 ($1, 'company', 13, 'delete', 'offline', false, '', 5, '2026-03-06 10:00:03+00'),
 ($2, 'deal', 10, 'update', 'online', false, '', NULL, '2026-03-06 10:00:04+00');

INSERT INTO sync_state (portal_id, entity, state, total, done, last_id, error, started_at, finished_at, watermark, reconciled_at)
VALUES
 ($1, 'deal', 'done', 30, 30, 30, '', '2026-01-01 00:00:00+00', '2026-01-01 00:01:00+00', '2026-03-06 09:00:00+00', '2026-03-06 09:00:05+00'),
 ($1, 'lead', 'running', 50, 20, 20, '', '2026-01-01 00:00:00+00', NULL, NULL, NULL),
 ($1, 'contact', 'failed', 10, 3, 3, 'portal refused', '2026-01-01 00:00:00+00', '2026-01-01 00:02:00+00', NULL, NULL),
 ($1, 'company', 'pending', 0, 0, 0, '', NULL, NULL, NULL, NULL),
 ($2, 'deal', 'done', 1, 1, 10, '', NULL, NULL, NULL, NULL);

INSERT INTO portal_settings (portal_id, entities, ignored_fields, tabs, retention_days, updated_at)
VALUES ($1, '{deal,contact}', '{"deal":["TITLE","COMMENTS"],"contact":["POST"]}', '{contact}', 90, '2026-02-02 00:00:00+00');
INSERT INTO portal_settings (portal_id) VALUES ($2);

INSERT INTO portal_meta (portal_id, kind, data, fetched_at)
VALUES
 ($1, 'fields:deal', '{"TITLE":{"type":"string","title":"Name"}}', '2026-01-01 00:00:00+00'),
 ($1, 'fields:lead', '{"STATUS_ID":{"type":"crm_status"}}', '2026-01-01 00:00:00+00'),
 ($1, 'fields:contact', '{"NAME":{"type":"string"}}', '2026-01-01 00:00:00+00'),
 ($1, 'fields:company', '{"TITLE":{"type":"string"}}', '2026-01-01 00:00:00+00'),
 ($1, 'categories:deal', '[{"id":0,"name":"General"}]', '2026-01-01 00:00:00+00'),
 ($1, 'statuses', '[]', '2026-01-01 00:00:00+00'),
 ($1, 'users', '[{"ID":"5"}]', '2026-01-01 00:00:00+00'),
 ($2, 'fields:deal', '{}', '2026-01-01 00:00:00+00');
`

// tableRows reads every row of a table as JSON, in a fixed order.
func tableRows(t *testing.T, d *db.DB, table, order string) []map[string]any {
	t.Helper()
	var out []map[string]any
	rows, err := d.Pool.Query(context.Background(), "SELECT to_jsonb(r) FROM "+table+" r ORDER BY "+order)
	if err != nil {
		t.Fatal(err)
	}
	out, err = pgx.CollectRows(rows, pgx.RowTo[map[string]any])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// renamed is rows as 0010 should leave them: each value of the named
// columns translated by f.
func renamed(rows []map[string]any, f func(column string, v any) any, columns ...string) []map[string]any {
	for _, r := range rows {
		for _, c := range columns {
			r[c] = f(c, r[c])
		}
	}
	return rows
}

func typeID(_ string, v any) any { return typeIDs[v.(string)] }

func typeIDList(_ string, v any) any {
	var out []any
	for _, n := range v.([]any) {
		out = append(out, typeIDs[n.(string)])
	}
	if out == nil {
		out = []any{}
	}
	return out
}

// TestUpgradeKeysByEntityTypeID migrates a database holding rows of the
// four types from 0009 to the head: every row of every table is still
// there, the same but for its type now being an entityTypeId, and reads
// back through Trail's code as before; rows of any other type are admitted.
func TestUpgradeKeysByEntityTypeID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := db.Open(ctx, dbtest.Empty(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if err := d.Migrate(ctx, migrationsBefore(t, "0010"), quiet()); err != nil {
		t.Fatal(err)
	}
	var p1, p2, p3 int64
	if err := d.Pool.QueryRow(ctx, `INSERT INTO installations (member_id, domain, client_endpoint)
		VALUES ('m1', 'a.example', 'https://a.example/rest/'), ('m2', 'b.example', 'https://b.example/rest/'), ('m3', 'c.example', 'https://c.example/rest/')
		RETURNING id`).Scan(&p1); err != nil {
		t.Fatal(err)
	}
	p2, p3 = p1+1, p1+2
	stored := strings.NewReplacer("$1", strconv.FormatInt(p1, 10), "$2", strconv.FormatInt(p2, 10)).Replace(storedByNames)
	if _, err := d.Pool.Exec(ctx, stored); err != nil {
		t.Fatal(err)
	}

	tables := []struct {
		name, order string
		want        func([]map[string]any) []map[string]any
	}{
		{"history", "id", func(r []map[string]any) []map[string]any {
			for _, row := range r {
				row["reverts_change_id"] = nil // added after 0010 (0013), empty for earlier changes
				row["restores_moment"] = nil   // added after 0010 (0015), likewise
				row["restored_from"] = nil     // added after 0010 (0017), likewise
				row["reverts_bulk_id"] = nil   // added after 0010 (0018), likewise
			}
			return renamed(r, typeID, "entity")
		}},
		{"snapshots", "portal_id, entity_id, data::text", func(r []map[string]any) []map[string]any {
			for _, row := range r {
				row["learned"] = nil // added by a later migration, NULL for rows stored before it
			}
			return renamed(r, typeID, "entity")
		}},
		{"inbox", "id", func(r []map[string]any) []map[string]any { return renamed(r, typeID, "entity") }},
		{"sync_state", "portal_id, started_at, state", func(r []map[string]any) []map[string]any {
			for _, row := range r {
				// added after 0010 (0016): no extras phase for earlier baselines
				row["extras_state"], row["extras_total"], row["extras_done"], row["extras_last_id"] = "done", 0.0, 0.0, 0.0
				row["extras_started_at"], row["extras_finished_at"] = nil, nil
			}
			return renamed(r, typeID, "entity")
		}},
		{"portal_settings", "portal_id", func(r []map[string]any) []map[string]any {
			renamed(r, typeIDList, "entities", "tabs")
			return renamed(r, func(_ string, v any) any {
				out := map[string]any{}
				for k, fields := range v.(map[string]any) {
					out[jsonNumber(typeIDs[k])] = fields
				}
				return out
			}, "ignored_fields")
		}},
		{"portal_meta", "portal_id, data::text", func(r []map[string]any) []map[string]any {
			return renamed(r, func(_ string, v any) any {
				for name, id := range typeIDs {
					for _, kind := range []string{"fields:", "categories:"} {
						if v == kind+name {
							return kind + jsonNumber(id)
						}
					}
				}
				return v
			}, "kind")
		}},
	}
	want := map[string][]map[string]any{}
	for _, tb := range tables {
		if want[tb.name] = tb.want(tableRows(t, d, tb.name, tb.order)); len(want[tb.name]) < 2 {
			t.Fatalf("%s holds %d rows before the upgrade", tb.name, len(want[tb.name]))
		}
	}
	// Compared as 0020 left them: 0021 stores history rows in another shape
	// (history_compact_test.go checks that one).
	if err := d.Migrate(ctx, migrationsBefore(t, "0021"), quiet()); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if got := tableRows(t, d, tb.name, tb.order); !reflect.DeepEqual(got, want[tb.name]) {
			t.Errorf("%s after the upgrade:\n got %v\nwant %v", tb.name, got, want[tb.name])
		}
	}
	if err := d.Migrate(ctx, migrations.FS, quiet()); err != nil {
		t.Fatal(err)
	}

	t.Run("history", func(t *testing.T) {
		rows, err := db.RecordHistory(ctx, d.Bun, p1, crm.Deal, 10, db.HistoryFilter{}, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0].Entity != crm.Deal || rows[0].Field != "OPPORTUNITY" || rows[1].Field != "TITLE" ||
			string(rows[1].NewValue) != `{"kind":"text","text":"New"}` || *rows[1].UTCOffset != 10800 || rows[2].Action != "created" {
			t.Errorf("deal 10's history: %+v", rows)
		}
		for typ, id := range map[crm.Type]int64{crm.Lead: 11, crm.Contact: 12, crm.Company: 13} {
			if rows, err := db.RecordHistory(ctx, d.Bun, p1, typ, id, db.HistoryFilter{}, nil, 10); err != nil || len(rows) != 1 || rows[0].Entity != typ {
				t.Errorf("%s %d's history: %+v, %v", typ, id, rows, err)
			}
		}
		if rows, err := db.RecordHistory(ctx, d.Bun, p2, crm.Deal, 10, db.HistoryFilter{}, nil, 10); err != nil || len(rows) != 1 || rows[0].NewValue != nil {
			t.Errorf("portal 2's deal 10: %+v, %v", rows, err)
		}
	})

	t.Run("snapshots", func(t *testing.T) {
		for typ, id := range map[crm.Type]int64{crm.Deal: 10, crm.Lead: 11, crm.Contact: 12, crm.Company: 13} {
			snaps, err := db.SnapshotsFor(ctx, d.Bun, p1, typ, []int64{id})
			if s := snaps[id]; err != nil || s == nil || s.Entity != typ || s.EntityID != id {
				t.Errorf("%s %d: %+v, %v", typ, id, s, err)
			}
		}
		if s, err := db.SnapshotOf(ctx, d.Bun, p1, crm.Lead, 11); err != nil || s.Format != 1 {
			t.Errorf("the sparse lead: %+v, %v", s, err)
		}
		if s, err := db.SnapshotOf(ctx, d.Bun, p1, crm.Company, 13); err != nil || s.DeletedAt == nil {
			t.Errorf("the deleted company: %+v, %v", s, err)
		}
	})

	t.Run("inbox", func(t *testing.T) {
		rows, err := db.TakeInbox(ctx, d.Bun, p1, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []crm.Type
		for _, r := range rows {
			got = append(got, r.Entity)
		}
		if !slices.Equal(got, []crm.Type{crm.Deal, crm.Lead, crm.Contact, crm.Company}) || rows[1].Kind != db.InboxAdd || rows[1].Origin != db.OriginOffline || *rows[1].ActorID != 7 {
			t.Errorf("inbox: %+v", rows)
		}
	})

	t.Run("settings", func(t *testing.T) {
		set, err := db.LoadSettings(ctx, d.Bun, p1)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(set.Tracked(), []crm.Type{crm.Deal, crm.Contact}) || set.Tracks(crm.Lead) || set.Tracks(crm.Company) ||
			!slices.Equal(set.TabTypes(), []crm.Type{crm.Contact}) || set.HasTab(crm.Deal) || set.RetentionDays != 90 {
			t.Errorf("portal 1's settings: %+v", set)
		}
		if !set.Ignores(crm.Deal, "TITLE") || !set.Ignores(crm.Deal, "COMMENTS") || !set.Ignores(crm.Contact, "POST") ||
			set.Ignores(crm.Lead, "TITLE") || set.Ignores(crm.Contact, "TITLE") {
			t.Errorf("portal 1's ignored fields: %v", set.IgnoredFields)
		}
		// A row that held the defaults, and one written after the upgrade.
		if _, err := d.Pool.Exec(ctx, "INSERT INTO portal_settings (portal_id) VALUES ($1)", p3); err != nil {
			t.Fatal(err)
		}
		for _, p := range []int64{p2, p3} {
			set, err := db.LoadSettings(ctx, d.Bun, p)
			if err != nil {
				t.Fatal(err)
			}
			def := db.DefaultSettings(p)
			if !slices.Equal(set.Entities, def.Entities) || !slices.Equal(set.Tabs, def.Tabs) || len(set.IgnoredFields) != 0 || set.RetentionDays != def.RetentionDays {
				t.Errorf("portal %d's default settings: %+v, want %+v", p, set, def)
			}
		}
		if set, err = db.LoadSettings(ctx, d.Bun, p3); err != nil {
			t.Fatal(err)
		}
		set.SetIgnored(crm.Type(156), []string{"UF_CRM_5_NOTE"})
		set.Entities = append(set.Entities, crm.Quote, crm.Type(1038))
		if err := db.SaveSettings(ctx, d.Bun, set); err != nil {
			t.Fatal(err)
		}
		if set, err = db.LoadSettings(ctx, d.Bun, p3); err != nil || !slices.Contains(set.Entities, crm.Type(1038)) || !set.Ignores(crm.Type(156), "UF_CRM_5_NOTE") {
			t.Errorf("settings naming new types: %+v, %v", set, err)
		}
	})

	t.Run("sync state", func(t *testing.T) {
		states, err := db.SyncStates(ctx, d.Bun, p1)
		if err != nil {
			t.Fatal(err)
		}
		got := map[crm.Type]db.SyncPhase{}
		for _, s := range states {
			got[s.Entity] = s.State
		}
		if want := map[crm.Type]db.SyncPhase{crm.Deal: db.SyncDone, crm.Lead: db.SyncRunning, crm.Contact: db.SyncFailed, crm.Company: db.SyncPending}; !reflect.DeepEqual(got, want) {
			t.Errorf("sync states %v, want %v", got, want)
		}
		if s, err := db.LoadSyncState(ctx, d.Bun, p1, crm.Deal); err != nil || s.Watermark == nil || s.LastID != 30 {
			t.Errorf("deal sync state: %+v, %v", s, err)
		}
	})

	t.Run("field metadata", func(t *testing.T) {
		metas, err := db.LoadMetas(ctx, d.Bun, p1, db.MetaFields(crm.Deal), db.MetaFields(crm.Lead), db.MetaFields(crm.Contact),
			db.MetaFields(crm.Company), db.MetaCategories(crm.Deal), db.MetaUsers)
		if err != nil || len(metas) != 6 {
			t.Fatalf("metadata: %v, %v", metas, err)
		}
		var fields map[string]any
		if err := json.Unmarshal(metas[db.MetaFields(crm.Deal)], &fields); err != nil || fields["TITLE"] == nil {
			t.Errorf("deal fields: %s, %v", metas[db.MetaFields(crm.Deal)], err)
		}
	})

	t.Run("any type", func(t *testing.T) {
		if err := db.AddToInbox(ctx, d.Bun, p2, []db.InboxRow{
			{Entity: crm.Quote, EntityID: 1, Kind: db.InboxUpdate, Origin: db.OriginOnline},
			{Entity: crm.SmartInvoice, EntityID: 2, Kind: db.InboxAdd, Origin: db.OriginOnline},
			{Entity: crm.Type(1038), EntityID: 3, Kind: db.InboxDelete, Origin: db.OriginOnline},
		}); err != nil {
			t.Fatal(err)
		}
		if err := db.PutSnapshots(ctx, d.Pool, []*db.Snapshot{{PortalID: p2, Entity: crm.Type(156), EntityID: 4, Data: json.RawMessage(`{"id":4}`), Format: 2}}); err != nil {
			t.Fatal(err)
		}
		if s, err := db.SnapshotOf(ctx, d.Bun, p2, crm.Type(156), 4); err != nil || s.Entity != crm.Type(156) {
			t.Errorf("a smart process's snapshot: %+v, %v", s, err)
		}
		if _, err := d.Pool.Exec(ctx, "INSERT INTO inbox (portal_id, entity, entity_id, kind, origin) VALUES ($1, 0, 1, 'add', 'online')", p2); err == nil {
			t.Error("type 0 was admitted")
		}
	})
}

func jsonNumber(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}
