package browser

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// From an entry of the tab a person opens the deal as it was before that
// change, then compares that moment with now: the title that changed is
// highlighted with its two values.
func TestAsOfAndCompareInTab(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 5, Seed: 11})
	p := s.Emu.Portals()[0]
	id := s.PortalID(t, p)
	for i, title := range []string{"Before the change", "After the change"} {
		if err := p.UpdateRecord("deal", 2, 1, map[string]any{"TITLE": title}); err != nil {
			t.Fatal(err)
		}
		trailtest.Eventually(t, "the title change recorded", func() bool { return trailtest.ByField(s.History(t, id, crm.Deal, 2), "TITLE") >= i+1 })
	}

	tab := newTab(t)
	frame := openFrame(t, tab, s.portalURL(0, "/crm/deal/details/2/?tab=1&user=1"))
	waitText(t, frame, "#timeline", "After the change")
	click(t, frame, "#timeline .entry .asof-before")
	waitText(t, frame, "#pane .asof", "Before the change")
	if txt := frameText(t, frame, "#pane .asof"); contains(txt, "After the change") {
		t.Errorf("the deal before the last change shows its later title: %q", txt)
	}

	// The pane's picker holds that moment, in the viewer's time zone (the
	// browser leaves out seconds that are zero).
	at := get(t, frame, "the pane's picker", chromedp.Evaluate[string](`document.querySelector("#pane .asof-picker [name=at]").value`))
	moment := get(t, frame, "the pane's moment", chromedp.Evaluate[string](`document.querySelector("#pane .asof").dataset.at`))
	if at == "" || at != moment && at+":00" != moment {
		t.Errorf("the picker holds %q, not the entry's moment %q", at, moment)
	}
	click(t, frame, "#pane .compare-now")
	waitText(t, frame, `#pane .compare tr.differs[data-field="TITLE"]`, "After the change")
	if txt := frameText(t, frame, `#pane .compare tr.differs[data-field="TITLE"]`); !contains(txt, "Before the change") {
		t.Errorf("compare shows the title as %q, want both values", txt)
	}
	screenshot(t, tab, frame, "asof-compare")
}
