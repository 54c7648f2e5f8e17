package b24test

import (
	"testing"
)

// TestDenyRead: a user whose role may not read deals is refused
// crm.item.fields and the gets of deals, finds no deal in the lists, still
// reads contacts, and reads deals again once the right is back; an
// administrator is never bound by a role.
func TestDenyRead(t *testing.T) {
	t.Parallel()
	s, p, admin := installed(t, Options{Deals: 3, Contacts: 2})
	user, err := p.IssueTokens(2)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int{2, adminID} {
		if err := p.DenyRead(id, "deal", true); err != nil {
			t.Fatal(err)
		}
	}
	fields := map[string]any{"entityTypeId": 2}
	if a := appCall(t, s, p, user.AccessToken, "crm.item.fields", fields); a.errCode() != "ACCESS_DENIED" {
		t.Errorf("crm.item.fields without the right = %d %s", a.status, a.raw)
	}
	if a := appCall(t, s, p, user.AccessToken, "crm.deal.get", map[string]any{"id": 1}); a.status < 400 {
		t.Errorf("crm.deal.get without the right = %d %s", a.status, a.raw)
	}
	if a := appCall(t, s, p, user.AccessToken, "crm.item.get", map[string]any{"entityTypeId": 2, "id": 1}); a.errCode() != "ACCESS_DENIED" {
		t.Errorf("crm.item.get without the right = %d %s", a.status, a.raw)
	}
	if a := mustOK(t, appCall(t, s, p, user.AccessToken, "crm.deal.list", map[string]any{"select": []string{"ID"}})); len(list(a.body["result"])) != 0 {
		t.Errorf("crm.deal.list without the right lists %d deals", len(list(a.body["result"])))
	}
	if a := mustOK(t, appCall(t, s, p, user.AccessToken, "crm.contact.list", map[string]any{"select": []string{"ID"}})); len(list(a.body["result"])) != 2 {
		t.Errorf("crm.contact.list lists %d contacts, want 2", len(list(a.body["result"])))
	}
	mustOK(t, appCall(t, s, p, admin.AccessToken, "crm.item.fields", fields))
	if err := p.DenyRead(2, "deal", false); err != nil {
		t.Fatal(err)
	}
	mustOK(t, appCall(t, s, p, user.AccessToken, "crm.item.fields", fields))
	if a := mustOK(t, appCall(t, s, p, user.AccessToken, "crm.deal.list", map[string]any{"select": []string{"ID"}})); len(list(a.body["result"])) != 3 {
		t.Errorf("crm.deal.list with the right back lists %d deals, want 3", len(list(a.body["result"])))
	}
}
