package server_test

import (
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// A call logged on a deal and a company moves their system-maintained
// fields (LAST_ACTIVITY_*, a company's LAST_COMMUNICATION_TIME) without
// anyone editing them: no history row. A person's later edit of the same
// records is recorded, and only what the person changed.
func TestActivitiesAreNotEdits(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Companies: 5, Seed: 11}})
	p := s.Emu.Portals()[0]
	portalID := s.Install(t, p)
	const editor = 2
	for _, entity := range []string{"deal", "company"} {
		if _, err := p.AddActivity(entity, 2, editor, b24test.ActivityCall); err != nil {
			t.Fatal(err)
		}
	}
	// A later edit of another deal is recorded once everything before it was.
	if err := p.UpdateRecord("deal", 4, editor, map[string]any{"TITLE": "Barrier"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the other deal's edit", func() bool { return trailtest.ByField(s.History(t, portalID, crm.Deal, 4), "TITLE") == 1 })
	for _, typ := range []crm.Type{crm.Deal, crm.Company} {
		if rows := s.History(t, portalID, typ, 2); len(rows) != 0 {
			t.Errorf("%s 2 has %d history rows after a call, want none: %+v", typ, len(rows), rows)
		}
	}

	for _, entity := range []string{"deal", "company"} {
		if err := p.UpdateRecord(entity, 2, editor, map[string]any{"TITLE": "Edited after the call"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, typ := range []crm.Type{crm.Deal, crm.Company} {
		trailtest.Eventually(t, typ.String()+" edit recorded", func() bool { return trailtest.ByField(s.History(t, portalID, typ, 2), "TITLE") == 1 })
		rows := s.History(t, portalID, typ, 2)
		for _, r := range rows {
			if r.Field != "TITLE" {
				t.Errorf("%s 2: the edit recorded %s (%s -> %s); only TITLE was edited", typ, r.Field, r.OldValue, r.NewValue)
			}
		}
	}
}
