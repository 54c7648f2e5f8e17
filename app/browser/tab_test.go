package browser

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// A person opens a deal, sees its history in Trail's tab, edits the deal in
// the portal and finds the change on top when the tab is opened again.
func TestHistoryTabInPortal(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 10, Leads: 3, Contacts: 5, Companies: 3, Seed: 11})
	p := s.Emu.Portals()[0]
	if err := p.UpdateRecord("deal", 2, 3, map[string]any{"TITLE": "Fleet renewal 2027", "OPPORTUNITY": "48000.00"}); err != nil {
		t.Fatal(err)
	}
	id := s.PortalID(t, p)
	trailtest.Eventually(t, "history of the first edit", func() bool { return len(s.History(t, id, crm.Deal, 2)) == 2 })

	tab := newTab(t)
	frame := openFrame(t, tab, s.portalURL(0, "/crm/deal/details/2/?tab=1&user=1"))
	waitText(t, frame, "#timeline", "Fleet renewal 2027")
	if txt := frameText(t, frame, "#timeline .entry"); !contains(txt, "48") || !contains(txt, "Title") {
		t.Errorf("the first entry shows %q; want the title and amount changes", txt)
	}
	waitFits(t, frame)
	screenshot(t, tab, frame, "tab")

	// Edit the deal on the card's first tab, as a person does.
	do(t, tab, "edit the deal",
		chromedp.Navigate(s.portalURL(0, "/crm/deal/details/2/?user=1")),
		chromedp.WaitVisible(chromedp.CSS("form.edit #f-TITLE")),
		chromedp.SetValue(chromedp.CSS("form.edit #f-TITLE"), "Fleet renewal 2028"),
		chromedp.Submit(chromedp.CSS("form.edit")),
		chromedp.WaitVisible(chromedp.CSS("p.ok")),
	)
	trailtest.Eventually(t, "history of the edit in the portal", func() bool {
		return trailtest.ByAuthor(s.History(t, id, crm.Deal, 2), 1) == 1
	})
	frame = openFrame(t, tab, s.portalURL(0, "/crm/deal/details/2/?tab=1"))
	waitText(t, frame, "#timeline .entry", "Fleet renewal 2028")
	if n := get(t, frame, "entries", chromedp.Evaluate[int](`document.querySelectorAll("#timeline .entry").length`)); n != 2 {
		t.Errorf("the tab shows %d entries, want 2", n)
	}
	waitFits(t, frame)
	screenshot(t, tab, frame, "tab-after-edit")
}
