package trailtest_test

import (
	"net/http"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// The frame client opens a tab as the portal does, keeps the page's
// session, and renews it with the page's ticket as trail.js does.
func TestFrameOpensAndRenews(t *testing.T) {
	t.Parallel()
	s := trailtest.New(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 3, Leads: 1, Contacts: 1, Companies: 1, Seed: 5}})
	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	if err := p.UpdateRecord("deal", 2, p.AdminID(), map[string]any{"TITLE": "Seen in the tab"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the edit recorded", func() bool { return trailtest.ByField(s.History(t, id, crm.Deal, 2), "TITLE") == 1 })

	f, status, _ := s.OpenTab(t, p, p.AdminID(), crm.Deal.DetailTab(), "2")
	if status != http.StatusOK || f.Session == "" || f.Renewal == "" || f.Context != "deal:2" {
		t.Fatalf("tab = %d, session %q, ticket %q, context %q", status, f.Session, f.Renewal, f.Context)
	}
	first := f.Session
	if status := f.Renew(); status != http.StatusNoContent || f.Session == first {
		t.Fatalf("renewal = %d, session kept: %v", status, f.Session == first)
	}
	body := f.Must(http.StatusOK, "GET", "/tab/deal/2/entries", nil)
	if trailtest.Between(body, "Seen in", " tab") != " the" {
		t.Errorf("entries with the renewed session lack the edit: %.300s", body)
	}
	if status, _ := s.Page(t, "").Get("/tab/deal/2/entries"); status != http.StatusUnauthorized {
		t.Errorf("entries without a session = %d, want 401", status)
	}
}
