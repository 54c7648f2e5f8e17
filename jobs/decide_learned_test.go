package jobs

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// TestDecideNotesFieldsLearnedLater: a field that joins a record's state
// after tracking began is noted with the change's moment even when it came
// empty (and so left no row), and what was noted before is kept.
func TestDecideNotesFieldsLearnedLater(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	earlier := now.Add(-24 * time.Hour)
	cur, err := history.ParseSnapshot([]byte(`{"ID":"5","DATE_MODIFY":"2026-03-01T11:30:00+03:00","TITLE":"New","UF_CRM_EMPTY":null,"UF_CRM_OLD":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	stored := &db.Snapshot{PortalID: 1, Entity: crm.Deal, EntityID: 5, Format: int16(history.FormatFull),
		Data:    json.RawMessage(`{"ID":"5","DATE_MODIFY":"2026-02-01T10:00:00+03:00","TITLE":"Old","UF_CRM_OLD":"x"}`),
		Learned: map[string]time.Time{"UF_CRM_OLD": earlier}}
	p := &pending{entity: crm.Deal, id: 5, kind: db.InboxUpdate, heard: now, fetched: true, state: cur}
	v := decide(facts{portalID: 1, set: db.DefaultSettings(1), now: now}, p, stored)
	if v.snapshot == nil {
		t.Fatal("no snapshot to store")
	}
	want := map[string]time.Time{"UF_CRM_OLD": earlier, "UF_CRM_EMPTY": time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)}
	if len(v.snapshot.Learned) != len(want) {
		t.Fatalf("learned = %v, want %v", v.snapshot.Learned, want)
	}
	for name, at := range want {
		if !v.snapshot.Learned[name].Equal(at) {
			t.Errorf("learned[%s] = %v, want %v", name, v.snapshot.Learned[name], at)
		}
	}
	if len(v.rows) != 1 || v.rows[0].Field != "TITLE" || !v.rows[0].ChangedAt.Equal(want["UF_CRM_EMPTY"]) {
		t.Errorf("rows = %+v, want one TITLE change at the record's DATE_MODIFY", v.rows)
	}
}
