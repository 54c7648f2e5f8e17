package server_test

import (
	"strings"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// A deal moved to another pipeline fires ONCRMDEALMOVETOCATEGORY and no
// update event: Trail binds it, records the move from the event at once
// (not at the next reconciliation), and the tab shows it as one entry,
// pipeline and stage by name.
func TestDealPipelineMove(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 11}})
	p := s.Emu.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	portalID := s.Installed(t, p)
	const deal, editor = 2, 2
	if err := p.MoveDeal(deal, 0, "PREPARATION", editor); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the deal in pipeline 0", func() bool {
		snap := s.Snapshot(t, portalID, crm.Deal, deal)
		return snap != nil && strings.Contains(string(snap.Data), `"STAGE_ID": "PREPARATION"`)
	})
	before := len(s.History(t, portalID, crm.Deal, deal))
	if err := p.MoveDeal(deal, 1, "C1:EXECUTING", editor); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the move delivered to Trail's events handler", func() bool {
		for _, d := range p.Deliveries() {
			if d.Event == "ONCRMDEALMOVETOCATEGORY" && strings.HasSuffix(d.URL, "/bitrix/events") && d.Status == 200 {
				return true
			}
		}
		return false
	})
	trailtest.Eventually(t, "the move recorded", func() bool {
		return len(s.History(t, portalID, crm.Deal, deal)) >= before+2
	})
	var change int64
	fields := map[string]bool{}
	for _, r := range s.History(t, portalID, crm.Deal, deal)[before:] {
		fields[r.Field] = true
		if change == 0 {
			change = r.ChangeID
		}
		// Only the online event names a person: a reconciliation would not.
		if r.ChangeID != change || r.Source != "person" || r.AuthorID == nil || *r.AuthorID != editor {
			t.Errorf("move row %+v: want one change by person %d from the event", r, editor)
		}
	}
	if !fields["CATEGORY_ID"] || !fields["STAGE_ID"] {
		t.Errorf("the move recorded %v, want CATEGORY_ID and STAGE_ID", fields)
	}

	_, status, body := s.OpenTab(t, p, p.AdminID(), "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	if status != 200 {
		t.Fatalf("tab = %d", status)
	}
	entry := trailtest.Between(body, `<li class="entry updated">`, "</li>") // the newest
	pipeline := trailtest.Between(entry, `data-field="CATEGORY_ID"`, "</tr>")
	stage := trailtest.Between(entry, `data-field="STAGE_ID"`, "</tr>")
	for what, want := range map[string][]string{pipeline: {"General", "Wholesale"}, stage: {"Preparing documents", "Shipping"}} {
		for _, w := range want {
			if !strings.Contains(what, w) {
				t.Errorf("the move's entry shows %q, want %q in it", what, w)
			}
		}
	}
}
