package jobs

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// TestDecide: what a fetched state means for a record, against what Trail
// stored, without a database or a portal.
func TestDecide(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	heard := now.Add(-time.Minute)
	uid := func(n int64) *int64 { return &n }
	schema := &history.Schema{Fields: map[string]history.Field{
		"TITLE":       {Name: "TITLE", Type: history.TypeString},
		"STAGE_ID":    {Name: "STAGE_ID", Type: history.TypeStatus},
		"OPPORTUNITY": {Name: "OPPORTUNITY", Type: history.TypeDouble},
		"COMMENTS":    {Name: "COMMENTS", Type: history.TypeString},
		"UF_CRM_NEW":  {Name: "UF_CRM_NEW", Type: history.TypeString, Custom: true},
	}}
	state := func(fields string) history.Snapshot {
		s, err := history.ParseSnapshot([]byte(`{"ID":"5","MODIFY_BY_ID":"7","DATE_MODIFY":"2026-03-01T11:30:00+03:00",` + fields + `}`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	stored := func(format history.Format, fields string, deleted bool) *db.Snapshot {
		s := &db.Snapshot{PortalID: 1, Entity: crm.Deal, EntityID: 5, Format: int16(format),
			Data: json.RawMessage(`{"ID":"5","DATE_MODIFY":"2026-02-01T10:00:00+03:00",` + fields + `}`)}
		if deleted {
			at := now.Add(-time.Hour)
			s.DeletedAt = &at
		}
		return s
	}
	// fetched is a record the portal returned; gone one it no longer has.
	fetched := func(kind db.InboxKind, s history.Snapshot) *pending {
		return &pending{entity: crm.Deal, id: 5, kind: kind, heard: heard, fetched: true, state: s,
			origin: history.Origin{Delivery: history.DeliveryEvent, UserAuth: true}}
	}
	gone := func(del deletion) *pending {
		return &pending{entity: crm.Deal, id: 5, kind: "delete", heard: heard, fetched: true, gone: true, deletion: del,
			origin: history.Origin{Delivery: history.DeliveryEvent, UserAuth: true}}
	}
	settings := func(edit func(*db.Settings)) *db.Settings {
		s := db.DefaultSettings(1)
		if edit != nil {
			edit(s)
		}
		return s
	}
	// row is a history row as the test compares it.
	type row struct {
		action, field, kind, old, new, source string
		author                                int64
		at                                    time.Time
	}
	tests := []struct {
		name   string
		auth   db.AuthMode
		set    *db.Settings
		p      *pending
		stored *db.Snapshot
		// want: the rows (old and new as substrings of their JSON, "" for
		// none), whether a snapshot is stored, marked deleted, and whether
		// the recorded deletion gets its author.
		want        []row
		snapshot    bool
		deletedSnap bool
		nameDeleter bool
	}{
		{
			name: "a delete of an unknown record: nothing",
			set:  settings(nil), p: gone(deletion{heard: heard}),
		},
		{
			name: "a delete hint for a record the portal still returns: no deletion, the state is stored",
			set:  settings(nil), p: fetched("delete", state(`"TITLE":"Roof"`)),
			stored: stored(history.FormatFull, `"TITLE":"Roof"`, false), snapshot: true,
		},
		{
			name: "a confirmed deletion: its last values, when the delete event came, by the offline queue's user",
			set:  settings(nil), p: gone(deletion{heard: heard, by: uid(9)}),
			stored:   stored(history.FormatFull, `"TITLE":"Roof"`, false),
			want:     []row{{action: "deleted", field: "TITLE", kind: "changed", old: "Roof", source: "person", author: 9, at: heard}},
			snapshot: true, deletedSnap: true,
		},
		{
			name: "a deletion recorded before the offline queue named the deleter: named now",
			set:  settings(nil), p: gone(deletion{heard: heard, by: uid(9)}),
			stored: stored(history.FormatFull, `"TITLE":"Roof"`, true), nameDeleter: true,
		},
		{
			name: "a field missing from the baseline: its old value is unknown",
			set:  settings(nil), p: fetched("update", state(`"TITLE":"Roof","UF_CRM_NEW":"x"`)),
			stored:   stored(history.FormatFull, `"TITLE":"Roof"`, false),
			want:     []row{{action: "updated", field: "UF_CRM_NEW", kind: "changed", old: "unknown", new: "x", source: "person", author: 7, at: time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)}},
			snapshot: true,
		},
		{
			name: "a field filled in from empty",
			set:  settings(nil), p: fetched("update", state(`"TITLE":"Roof","COMMENTS":"call back"`)),
			stored:   stored(history.FormatFull, `"TITLE":"Roof","COMMENTS":null`, false),
			want:     []row{{action: "updated", field: "COMMENTS", kind: "changed", new: "call back", source: "person", author: 7, at: time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)}},
			snapshot: true,
		},
		{
			name: "an old-format snapshot: a field it lacks was empty",
			set:  settings(nil), p: fetched("update", state(`"TITLE":"Roof","COMMENTS":"call back"`)),
			stored:   stored(history.FormatSparse, `"TITLE":"Roof"`, false),
			want:     []row{{action: "updated", field: "COMMENTS", kind: "changed", new: "call back", source: "person", author: 7, at: time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)}},
			snapshot: true,
		},
		{
			name: "a respelled value: no change, the new spelling is stored",
			set:  settings(nil), p: fetched("update", state(`"OPPORTUNITY":"100.00"`)),
			stored: stored(history.FormatFull, `"OPPORTUNITY":"100"`, false), snapshot: true,
		},
		{
			name:     "an ignored field: only the others make history",
			set:      settings(func(s *db.Settings) { s.SetIgnored(crm.Deal, []string{"TITLE"}) }),
			p:        fetched("update", state(`"TITLE":"Shed","STAGE_ID":"WON"`)),
			stored:   stored(history.FormatFull, `"TITLE":"Roof","STAGE_ID":"NEW"`, false),
			want:     []row{{action: "updated", field: "STAGE_ID", kind: "changed", old: "NEW", new: "WON", source: "person", author: 7, at: time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)}},
			snapshot: true,
		},
		{
			name:   "only an ignored field changed: no history",
			set:    settings(func(s *db.Settings) { s.SetIgnored(crm.Deal, []string{"TITLE"}) }),
			p:      fetched("update", state(`"TITLE":"Shed"`)),
			stored: stored(history.FormatFull, `"TITLE":"Roof"`, false), snapshot: true,
		},
		{
			name: "a webhook's online delivery cannot tell a person",
			auth: "webhook", set: settings(nil), p: fetched("update", state(`"TITLE":"Shed"`)),
			stored:   stored(history.FormatFull, `"TITLE":"Roof"`, false),
			want:     []row{{action: "updated", field: "TITLE", kind: "changed", old: "Roof", new: "Shed", source: "unknown", author: 7, at: time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)}},
			snapshot: true,
		},
		{
			name: "a webhook installation's offline record naming a user is a person",
			auth: "webhook", set: settings(nil),
			p: func() *pending {
				p := fetched("update", state(`"TITLE":"Shed"`))
				p.origin.Delivery = history.DeliveryOffline
				return p
			}(),
			stored:   stored(history.FormatFull, `"TITLE":"Roof"`, false),
			want:     []row{{action: "updated", field: "TITLE", kind: "changed", old: "Roof", new: "Shed", source: "person", author: 7, at: time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)}},
			snapshot: true,
		},
		{
			name: "a creation: its values by its creator at its creation time",
			set:  settings(nil),
			p: fetched("add", func() history.Snapshot {
				s := state(`"TITLE":"Roof","CREATED_BY_ID":"3","DATE_CREATE":"2026-03-01T11:00:00+03:00"`)
				delete(s, "MODIFY_BY_ID")
				return s
			}()),
			want:     []row{{action: "created", field: "TITLE", kind: "changed", new: "Roof", source: "person", author: 3, at: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}},
			snapshot: true,
		},
		{
			name: "a change of a record Trail never stored: the baseline only",
			set:  settings(nil), p: fetched("update", state(`"TITLE":"Roof"`)), snapshot: true,
		},
		{
			name: "a creation of an ignored type: nothing",
			set:  settings(func(s *db.Settings) { s.Entities = []crm.Type{crm.Lead} }),
			p:    fetched("add", state(`"TITLE":"Roof"`)),
		},
		{
			name: "a type untracked when the round fetched: nothing",
			set:  settings(nil),
			p: func() *pending {
				p := fetched("add", state(`"TITLE":"Roof"`))
				p.fetched = false
				return p
			}(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := tt.auth
			if auth == "" {
				auth = db.AuthOAuth
			}
			v := decide(facts{portalID: 1, auth: auth, set: tt.set, schema: schema, now: now}, tt.p, tt.stored)
			var got []row
			for _, r := range v.rows {
				g := row{action: r.Action, field: r.Field, kind: r.ChangeKind, source: r.Source, at: r.ChangedAt}
				if r.AuthorID != nil {
					g.author = *r.AuthorID
				}
				if r.PortalID != 1 || r.Entity != crm.Deal || r.EntityID != 5 || r.ChangeID != 0 {
					t.Errorf("row of portal %d %s %d change %d", r.PortalID, r.Entity, r.EntityID, r.ChangeID)
				}
				if r.UTCOffset == nil || *r.UTCOffset != 3*3600 {
					t.Errorf("offset %v, want +03:00", r.UTCOffset)
				}
				got = append(got, g)
				if i := len(got) - 1; i < len(tt.want) {
					w := tt.want[i]
					got[i].old, got[i].new = w.old, w.new
					if !strings.Contains(string(r.OldValue), w.old) || (w.old == "") != (r.OldValue == nil) {
						t.Errorf("old value %s, want %q", r.OldValue, w.old)
					}
					if !strings.Contains(string(r.NewValue), w.new) || (w.new == "") != (r.NewValue == nil) {
						t.Errorf("new value %s, want %q", r.NewValue, w.new)
					}
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("rows %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("row %d: %+v, want %+v", i, got[i], tt.want[i])
				}
			}
			if (v.snapshot != nil) != tt.snapshot {
				t.Fatalf("snapshot %v, want stored %v", v.snapshot, tt.snapshot)
			}
			if v.snapshot != nil {
				if marked := v.snapshot.DeletedAt != nil && v.snapshot.DeletedAt.Equal(now); marked != tt.deletedSnap {
					t.Errorf("snapshot deleted at %v, want marked %v", v.snapshot.DeletedAt, tt.deletedSnap)
				}
				if !tt.deletedSnap && (v.snapshot.Format != int16(history.FormatFull) || !strings.Contains(string(v.snapshot.Data), `"ID"`)) {
					t.Errorf("snapshot %s format %d, want the fetched state in full format", v.snapshot.Data, v.snapshot.Format)
				}
			}
			if tt.stored != nil && tt.deletedSnap && tt.stored.DeletedAt != nil {
				t.Error("the stored snapshot was changed in place")
			}
			if v.nameDeleter != tt.nameDeleter {
				t.Errorf("name deleter %v, want %v", v.nameDeleter, tt.nameDeleter)
			}
		})
	}
}
