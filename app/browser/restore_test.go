package browser

import (
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// From the deal as it was before its last change a person puts the whole
// record back: the title another user changed since is offered unticked,
// the person ticks it, and the portal holds the old title again; the tab
// shows the change as putting the record back.
func TestRestoreFromAsOf(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 5, Seed: 11})
	p := s.Emu.Portals()[0]
	id := s.PortalID(t, p)
	for i, title := range []string{"Good title", "Bad title"} {
		if err := p.UpdateRecord("deal", 2, 3, map[string]any{"TITLE": title}); err != nil {
			t.Fatal(err)
		}
		trailtest.Eventually(t, "the title change recorded", func() bool { return trailtest.ByField(s.History(t, id, crm.Deal, 2), "TITLE") >= i+1 })
	}

	tab := newTab(t)
	frame := openFrame(t, tab, s.portalURL(0, "/crm/deal/details/2/?tab=1&user=1"))
	waitText(t, frame, "#timeline", "Bad title")
	click(t, frame, "#timeline .entry .asof-before")
	waitText(t, frame, "#pane .asof", "Good title")
	click(t, frame, "#pane .asof button.restore")
	waitText(t, frame, `#restore form.revert tr.conflict[data-field="TITLE"]`, "Good title")
	waitFits(t, frame)
	screenshot(t, tab, frame, "asof-restore-preview")
	click(t, frame, `#restore form.revert input[name=field][value=TITLE]`)
	click(t, frame, "#restore form.revert button[type=submit]")
	waitText(t, frame, "#restore .revert.done", "written")

	trailtest.Eventually(t, "the title back in the portal", func() bool {
		rec, _ := p.Record("deal", 2)
		return rec["TITLE"] == "Good title"
	})
	trailtest.Eventually(t, "the restore recorded", func() bool {
		for _, h := range s.History(t, id, crm.Deal, 2) {
			if h.RestoresMoment != nil && h.AuthorID != nil && *h.AuthorID == 1 {
				return true
			}
		}
		return false
	})
	frame = openFrame(t, tab, s.portalURL(0, "/crm/deal/details/2/?tab=1"))
	waitText(t, frame, "#timeline .entry", "puts the record back as of")
}
