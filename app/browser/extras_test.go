package browser

import (
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// A file replaced on a deal shows in the tab by the file's name and size,
// which the page asks Trail for when it shows it.
func TestFileNamesInTab(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 5, Seed: 11})
	p := s.Emu.Portals()[0]
	id := s.PortalID(t, p)
	const field = "UF_CRM_1700000006"
	if _, err := p.AttachFile("deal", 2, 3, field, "offer.pdf", []byte("first")); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the first file recorded", func() bool { return trailtest.ByField(s.History(t, id, crm.Deal, 2), field) >= 1 })
	if _, err := p.AttachFile("deal", 2, 3, field, "offer-signed.pdf", []byte("second!")); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the replacement recorded", func() bool { return trailtest.ByField(s.History(t, id, crm.Deal, 2), field) >= 2 })

	tab := newTab(t)
	frame := openFrame(t, tab, s.portalURL(0, "/crm/deal/details/2/?tab=1&user=1"))
	waitText(t, frame, "#timeline", "offer-signed.pdf (7 B)")
	// The replaced file is gone from the portal (a replacement deletes it):
	// it keeps its number.
	if txt := frameText(t, frame, "#timeline"); contains(txt, "offer.pdf") {
		t.Errorf("the replaced file shows a name the portal no longer has: %q", txt)
	}
}
