package jobs

import (
	"testing"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// TestUpdateOfUnknownRecordCreatedSinceBaseline: an update event of a
// record Trail has no snapshot of is a creation when the record was
// created once the type's baseline had begun (its addition's event comes
// later or never), and only the baseline when it is older.
func TestUpdateOfUnknownRecordCreatedSinceBaseline(t *testing.T) {
	began := time.Date(2026, 3, 1, 9, 0, 0, 500_000_000, time.UTC)
	state := func(created string) history.Snapshot {
		s, err := history.ParseSnapshot([]byte(`{"ID":"5","TITLE":"New","CREATED_BY_ID":"7","DATE_CREATE":"` + created +
			`","DATE_MODIFY":"2026-03-01T12:30:00+03:00"}`))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name    string
		created string
		since   map[crm.Type]time.Time
		want    string // "": the baseline only
	}{
		{"created after the baseline began", "2026-03-01T12:10:00+03:00", map[crm.Type]time.Time{crm.Deal: began}, history.Created.String()},
		{"created in the second the baseline began", "2026-03-01T12:00:00+03:00", map[crm.Type]time.Time{crm.Deal: began}, history.Created.String()},
		{"created before the baseline began", "2026-03-01T11:59:59+03:00", map[crm.Type]time.Time{crm.Deal: began}, ""},
		{"another type's baseline", "2026-03-01T12:10:00+03:00", map[crm.Type]time.Time{crm.Lead: began}, ""},
		{"no baseline yet", "2026-03-01T12:10:00+03:00", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &pending{entity: crm.Deal, id: 5, kind: db.InboxUpdate, fetched: true, state: state(tt.created)}
			v := decide(facts{portalID: 1, set: db.DefaultSettings(1), now: began.Add(time.Hour), since: tt.since}, p, nil)
			if v.snapshot == nil {
				t.Fatal("no snapshot stored")
			}
			var got string
			if len(v.rows) > 0 {
				got = v.rows[0].Action
			}
			if got != tt.want {
				t.Errorf("action %q, want %q (rows %d)", got, tt.want, len(v.rows))
			}
		})
	}
}
