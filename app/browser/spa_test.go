package browser

import (
	"strconv"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/trailtest"
)

// A person opens a smart-process item's card in the portal and finds its
// history in Trail's tab, which setup placed on the type's cards by itself.
func TestSmartProcessTabInPortal(t *testing.T) {
	s := newStack(t, b24test.Options{Portals: 1, Deals: 3, SmartProcesses: 1, SmartProcessItems: 6, Seed: 5})
	p := s.Emu.Portals()[0]
	id := s.Installed(t, p)
	var found []string
	var entity string
	var typeID int
	for _, f := range s.FoundTypes(t, id) {
		found = append(found, f.Type.String())
		if f.Type.Dynamic() {
			entity, typeID = f.Type.String(), int(f.Type)
		}
	}
	if entity == "" {
		t.Fatalf("no smart process found: %v", found)
	}
	if err := p.UpdateRecord(entity, 2, 3, map[string]any{"TITLE": "Harbour crane overhaul"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "history of the item's edit", func() bool {
		for _, r := range s.HistoryOf(t, id) {
			if r.Entity.String() == entity && r.EntityID == 2 && r.Field == "TITLE" {
				return true
			}
		}
		return false
	})

	tab := newTab(t)
	frame := openFrame(t, tab, s.portalURL(0, "/crm/type/"+strconv.Itoa(typeID)+"/details/2/?tab=1&user=1"))
	waitText(t, frame, "#timeline", "Harbour crane overhaul")
	waitFits(t, frame)
	screenshot(t, tab, frame, "tab-smart-process")
}
