package browser

import (
	"math"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// The tab's filter bar shows its buttons on one line: Apply, Reset and
// Export CSV, and the words on them, share a vertical centre. (The link's
// words once sat higher than the buttons' while its box did not.)
func TestFilterButtonsAligned(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 3, Seed: 7})
	p := s.Emu.Portals()[0]
	if err := p.UpdateRecord("deal", 2, 1, map[string]any{"TITLE": "Aligned"}); err != nil {
		t.Fatal(err)
	}
	id := s.PortalID(t, p)
	trailtest.Eventually(t, "history of the edit", func() bool { return len(s.History(t, id, crm.Deal, 2)) > 0 })

	tab := newTab(t)
	frame := openFrame(t, tab, s.portalURL(0, "/crm/deal/details/2/?tab=1&user=1"))
	waitText(t, frame, "#timeline", "Aligned")
	centres := get(t, frame, "the buttons' vertical centres", chromedp.Evaluate[[][2]float64](`
		[...document.querySelectorAll("form.filters .button")].map(b => {
			const words = document.createRange();
			words.selectNodeContents(b);
			return [b.getBoundingClientRect(), words.getBoundingClientRect()].map(r => r.top + r.height / 2);
		})`))
	if len(centres) != 3 {
		t.Fatalf("%d buttons in the filter bar, want Apply, Reset and Export CSV", len(centres))
	}
	for i, c := range centres {
		for j, what := range []string{"box", "words"} {
			if math.Abs(c[j]-centres[0][0]) > 1 {
				t.Errorf("button %d's %s centre is at %.1f px, the first button's at %.1f px", i+1, what, c[j], centres[0][0])
			}
		}
	}
	screenshot(t, tab, frame, "tab-filters")
}
