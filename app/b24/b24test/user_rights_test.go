package b24test

import (
	"net/http"
	"testing"
)

// TestDenyAdd: a user whose role may not add deals is refused crm.deal.add
// and crm.item.add of deals as the docs word it, may still add contacts,
// and may add deals again once the right is back; an administrator is
// never bound by a role.
func TestDenyAdd(t *testing.T) {
	t.Parallel()
	s, p, admin := installed(t, Options{Deals: 2, Contacts: 2})
	user, err := p.IssueTokens(2)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int{2, adminID} {
		if err := p.DenyAdd(id, "deal", true); err != nil {
			t.Fatal(err)
		}
	}
	deal := map[string]any{"fields": map[string]any{"TITLE": "not allowed"}}
	if a := appCall(t, s, p, user.AccessToken, "crm.deal.add", deal); a.status != http.StatusBadRequest || a.errCode() != "" || strString(a.body["error_description"]) != "Access denied" {
		t.Errorf("crm.deal.add without the right = %d %s", a.status, a.raw)
	}
	item := map[string]any{"entityTypeId": 2, "fields": map[string]any{"title": "not allowed"}}
	if a := appCall(t, s, p, user.AccessToken, "crm.item.add", item); a.status != http.StatusBadRequest || a.errCode() != "ACCESS_DENIED" {
		t.Errorf("crm.item.add without the right = %d %s", a.status, a.raw)
	}
	if _, ok := p.Record("deal", 3); ok {
		t.Fatal("a refused add created a deal")
	}
	mustOK(t, appCall(t, s, p, user.AccessToken, "crm.contact.add", map[string]any{"fields": map[string]any{"NAME": "allowed"}}))
	mustOK(t, appCall(t, s, p, admin.AccessToken, "crm.deal.add", deal))
	if err := p.DenyAdd(2, "deal", false); err != nil {
		t.Fatal(err)
	}
	mustOK(t, appCall(t, s, p, user.AccessToken, "crm.deal.add", deal))
	if err := p.DenyAdd(99, "deal", true); err == nil {
		t.Error("a user the portal lacks was given a right")
	}
}
