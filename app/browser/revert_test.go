package browser

import (
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// A person opens a deal's tab, reverts its last change from the tab and
// finds the old title back in the portal, and the revert on top of the
// history.
func TestRevertFromTab(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 10, Leads: 3, Contacts: 5, Companies: 3, Seed: 11})
	p := s.Emu.Portals()[0]
	id := s.PortalID(t, p)
	if err := p.UpdateRecord("deal", 2, 3, map[string]any{"TITLE": "Before the mistake"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the first edit recorded", func() bool { return len(s.History(t, id, crm.Deal, 2)) >= 1 })
	if err := p.UpdateRecord("deal", 2, 3, map[string]any{"TITLE": "A mistake"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the mistake recorded", func() bool { return trailtest.ByField(s.History(t, id, crm.Deal, 2), "TITLE") == 2 })

	tab := newTab(t)
	frame := openFrame(t, tab, s.portalURL(0, "/crm/deal/details/2/?tab=1&user=1"))
	waitText(t, frame, "#timeline .entry", "A mistake")
	click(t, frame, "#timeline .entry .revert-change")
	waitText(t, frame, "#timeline .entry form.revert", "Before the mistake")
	waitFits(t, frame)
	screenshot(t, tab, frame, "tab-revert-preview")
	click(t, frame, "#timeline .entry form.revert button[type=submit]")
	waitText(t, frame, "#timeline .entry .revert.done", "written")

	trailtest.Eventually(t, "the title back in the portal", func() bool {
		rec, _ := p.Record("deal", 2)
		return rec["TITLE"] == "Before the mistake"
	})
	trailtest.Eventually(t, "the revert recorded", func() bool {
		for _, h := range s.History(t, id, crm.Deal, 2) {
			if h.Source == "revert" && h.AuthorID != nil && *h.AuthorID == 1 {
				return true
			}
		}
		return false
	})
	frame = openFrame(t, tab, s.portalURL(0, "/crm/deal/details/2/?tab=1"))
	waitText(t, frame, "#timeline .entry", "by a revert")
	screenshot(t, tab, frame, "tab-after-revert")
}
