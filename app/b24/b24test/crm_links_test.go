package b24test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// linkRows renders items.get as "id:sort:primary" strings.
func linkRows(t *testing.T, a answer, key string) string {
	t.Helper()
	var out []string
	for _, r := range list(mustOK(t, a).body["result"]) {
		m := object(r)
		if fmt.Sprint(m["ROLE_ID"]) != "0" {
			t.Errorf("ROLE_ID = %v", m["ROLE_ID"])
		}
		out = append(out, fmt.Sprintf("%v:%v:%v", m[key], m["SORT"], m["IS_PRIMARY"]))
	}
	return fmt.Sprint(out)
}

func TestDealContactBindings(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{Contacts: 10})
	call := func(m string, params map[string]any) answer { return appCall(t, s, p, tok.AccessToken, m, params) }
	deal := fmt.Sprint(mustOK(t, call("crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "links"}})).body["result"])
	items := func() string {
		return linkRows(t, call("crm.deal.contact.items.get", map[string]any{"id": deal}), "CONTACT_ID")
	}
	// The legacy CONTACT_ID and crm.item's contactId name the primary
	// contact; contactIds lists them all by SORT.
	linked := func(wantPrimary, wantIDs string) {
		t.Helper()
		legacy := object(mustOK(t, call("crm.deal.get", map[string]any{"id": deal})).body["result"])
		item := object(object(mustOK(t, call("crm.item.get", map[string]any{"entityTypeId": 2, "id": deal})).body["result"])["item"])
		if legacy["CONTACT_ID"] != wantPrimary || fmt.Sprint(item["contactId"]) != wantPrimary || fmt.Sprint(item["contactIds"]) != wantIDs {
			t.Errorf("CONTACT_ID %v, contactId %v, contactIds %v; want %s and %s", legacy["CONTACT_ID"], item["contactId"], item["contactIds"], wantPrimary, wantIDs)
		}
	}
	result := func(a answer) string { return fmt.Sprint(mustOK(t, a).body["result"]) }

	if got := items(); got != "[]" {
		t.Fatalf("a new deal has contacts %s", got)
	}
	if got := result(call("crm.deal.contact.add", map[string]any{"id": deal, "fields": map[string]any{"CONTACT_ID": 3}})); got != "true" {
		t.Errorf("first add = %s", got)
	}
	if got := result(call("crm.deal.contact.add", map[string]any{"id": deal, "fields": map[string]any{"CONTACT_ID": 3}})); got != "false" {
		t.Errorf("add of a linked contact = %s, want false", got)
	}
	mustOK(t, call("crm.deal.contact.add", map[string]any{"id": deal, "fields": map[string]any{"CONTACT_ID": 5, "SORT": 5}}))
	if got := items(); got != "[5:5:N 3:10:Y]" {
		t.Errorf("after adding 5 with SORT 5: %s", got)
	}
	linked("3", "[5 3]")
	mustOK(t, call("crm.deal.contact.add", map[string]any{"id": deal, "fields": map[string]any{"CONTACT_ID": "7", "IS_PRIMARY": "Y"}}))
	if got := items(); got != "[5:5:N 3:10:N 7:20:Y]" {
		t.Errorf("after adding 7 as primary: %s", got)
	}
	linked("7", "[5 3 7]")
	if got := result(call("crm.deal.contact.delete", map[string]any{"id": deal, "fields": map[string]any{"CONTACT_ID": 7}})); got != "true" {
		t.Errorf("delete = %s", got)
	}
	if got := items(); got != "[5:5:Y 3:10:N]" {
		t.Errorf("removing the primary makes the first remaining one primary: %s", got)
	}
	if got := result(call("crm.deal.contact.delete", map[string]any{"id": deal, "fields": map[string]any{"CONTACT_ID": 9}})); got != "false" {
		t.Errorf("delete of an unlinked contact = %s, want false", got)
	}
	mustOK(t, call("crm.deal.contact.items.set", map[string]any{"id": deal, "items": []any{
		map[string]any{"CONTACT_ID": 2}, map[string]any{"CONTACT_ID": 4, "IS_PRIMARY": "Y"}, map[string]any{"CONTACT_ID": 6, "IS_PRIMARY": "Y"},
	}}))
	if got := items(); got != "[2:10:N 4:20:Y 6:30:N]" {
		t.Errorf("items.set: the first Y wins, SORT defaults to (i+1)*10: %s", got)
	}
	linked("4", "[2 4 6]")
	mustOK(t, call("crm.deal.contact.items.set", map[string]any{"id": deal, "items": []any{map[string]any{"CONTACT_ID": 8, "SORT": 300}, map[string]any{"CONTACT_ID": 1, "SORT": 200}}}))
	if got := items(); got != "[1:200:N 8:300:Y]" {
		t.Errorf("items.set without IS_PRIMARY makes the first primary, rows come by SORT: %s", got)
	}
	// A write of the list field itself renumbers, and its first is primary.
	mustOK(t, call("crm.item.update", map[string]any{"entityTypeId": 2, "id": deal, "fields": map[string]any{"contactIds": []int{8, 1}}}))
	if got := items(); got != "[8:10:Y 1:20:N]" {
		t.Errorf("after crm.item.update contactIds: %s", got)
	}
	mustOK(t, call("crm.deal.update", map[string]any{"id": deal, "fields": map[string]any{"CONTACT_IDS": []int{1, 8, 2}}}))
	linked("1", "[1 8 2]")
	if got := result(call("crm.deal.contact.items.delete", map[string]any{"id": deal})); got != "true" {
		t.Errorf("items.delete = %s", got)
	}
	if got := items(); got != "[]" {
		t.Errorf("after items.delete: %s", got)
	}
	linked("0", "[]")
}

func TestBindingErrors(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{Deals: 20, Contacts: 5})
	own, err := p.IssueTokens(ownRecordsUserID)
	if err != nil {
		t.Fatal(err)
	}
	var others string // a deal the own-records user may not read
	for id := 1; id <= 20 && others == ""; id++ {
		if r, _ := p.Record("deal", id); r["ASSIGNED_BY_ID"] != fmt.Sprint(ownRecordsUserID) {
			others = fmt.Sprint(id)
		}
	}
	for _, tc := range []struct {
		name, method, token string
		params              map[string]any
		want                string
	}{
		{"no id", "crm.deal.contact.items.get", tok.AccessToken, nil, "The parameter ownerEntityID is invalid or not defined."},
		{"bad id", "crm.deal.contact.add", tok.AccessToken, map[string]any{"id": "x", "fields": map[string]any{"CONTACT_ID": 1}}, "The parameter ownerEntityID is invalid or not defined."},
		{"no deal", "crm.deal.contact.items.get", tok.AccessToken, map[string]any{"id": 999}, "Not found."},
		{"items not array", "crm.deal.contact.items.set", tok.AccessToken, map[string]any{"id": 1, "items": "3"}, "The parameter items must be array."},
		{"no items", "crm.deal.contact.items.set", tok.AccessToken, map[string]any{"id": 1}, "The parameter items must be array."},
		{"item without contact", "crm.deal.contact.items.set", tok.AccessToken, map[string]any{"id": 1, "items": []any{map[string]any{"SORT": 10}}}, "The parameter 'fields' is not valid."},
		{"no fields", "crm.deal.contact.add", tok.AccessToken, map[string]any{"id": 1}, "The parameter 'fields' is not valid."},
		{"bad SORT", "crm.deal.contact.add", tok.AccessToken, map[string]any{"id": 1, "fields": map[string]any{"CONTACT_ID": 1, "SORT": "first"}}, "The parameter 'fields' is not valid."},
		{"no such contact", "crm.deal.contact.add", tok.AccessToken, map[string]any{"id": 1, "fields": map[string]any{"CONTACT_ID": 99}}, "Not found."},
		{"delete without contact", "crm.deal.contact.delete", tok.AccessToken, map[string]any{"id": 1, "fields": map[string]any{}}, "The parameter 'fields' is not valid."},
		{"another's deal", "crm.deal.contact.items.get", own.AccessToken, map[string]any{"id": others}, "Access denied."},
		{"another's deal, write", "crm.deal.contact.items.delete", own.AccessToken, map[string]any{"id": others}, "Access denied."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := p.Record("deal", 1)
			a := appCall(t, s, p, tc.token, tc.method, tc.params)
			if a.status != http.StatusBadRequest || a.errCode() != "" || a.body["error_description"] != tc.want {
				t.Errorf("%s = %d %s, want 400 with %q", tc.method, a.status, a.raw, tc.want)
			}
			if after, _ := p.Record("deal", 1); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("a refused call changed deal 1")
			}
		})
	}
	f := object(mustOK(t, appCall(t, s, p, tok.AccessToken, "crm.deal.contact.fields", nil)).body["result"])
	if object(f["CONTACT_ID"])["isRequired"] != true || object(f["SORT"])["type"] != "integer" || object(f["IS_PRIMARY"])["type"] != "char" {
		t.Errorf("crm.deal.contact.fields = %v", f)
	}
}

// A link change is a change of the owner: its modification date and
// author move and its update event is sent; a call that changes nothing
// does neither.
func TestBindingChangeUpdatesTheOwner(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s, p, tok := installed(t, Options{Now: clk.Now, Deals: 3, Contacts: 5})
	call := func(m string, params map[string]any) answer {
		if strings.HasPrefix(m, "crm.") {
			params["auth_connector"] = "other" // the app's offline binding hears changes made through another connector
		}
		return mustOK(t, appCall(t, s, p, tok.AccessToken, m, params))
	}
	call("crm.deal.contact.items.delete", map[string]any{"id": 2})
	call("event.bind", map[string]any{"event": "ONCRMDEALUPDATE", "event_type": "offline"})
	before, _ := p.Record("deal", 2)
	clk.Add(2 * time.Minute)
	call("crm.deal.contact.add", map[string]any{"id": 2, "fields": map[string]any{"CONTACT_ID": 4}})
	call("crm.deal.contact.add", map[string]any{"id": 2, "fields": map[string]any{"CONTACT_ID": 4}})
	call("crm.deal.contact.delete", map[string]any{"id": 2, "fields": map[string]any{"CONTACT_ID": 5}})
	call("crm.deal.contact.items.set", map[string]any{"id": 3, "items": []any{map[string]any{"CONTACT_ID": 1}}})
	after, _ := p.Record("deal", 2)
	if after["DATE_MODIFY"] == before["DATE_MODIFY"] || after["MODIFY_BY_ID"] != "1" {
		t.Errorf("DATE_MODIFY %v → %v, MODIFY_BY_ID %v", before["DATE_MODIFY"], after["DATE_MODIFY"], after["MODIFY_BY_ID"])
	}
	var got []string
	for _, e := range list(object(call("event.offline.get", map[string]any{"clear": 0}).body["result"])["events"]) {
		m := object(e)
		got = append(got, fmt.Sprint(m["EVENT_NAME"], " ", object(object(m["EVENT_DATA"])["FIELDS"])["ID"]))
	}
	if fmt.Sprint(got) != "[ONCRMDEALUPDATE 2 ONCRMDEALUPDATE 3]" {
		t.Errorf("events = %v, want one update of deal 2 and one of deal 3", got)
	}
}

func TestContactCompanyBindings(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{Contacts: 5, Companies: 5})
	call := func(m string, params map[string]any) answer {
		return mustOK(t, appCall(t, s, p, tok.AccessToken, m, params))
	}
	contact := fmt.Sprint(call("crm.contact.add", map[string]any{"fields": map[string]any{"NAME": "Ann"}}).body["result"])
	call("crm.contact.company.items.set", map[string]any{"id": contact, "items": []any{map[string]any{"COMPANY_ID": 3}, map[string]any{"COMPANY_ID": 2, "IS_PRIMARY": "Y"}}})
	if got := linkRows(t, appCall(t, s, p, tok.AccessToken, "crm.contact.company.items.get", map[string]any{"id": contact}), "COMPANY_ID"); got != "[3:10:N 2:20:Y]" {
		t.Errorf("contact's companies = %s", got)
	}
	r, _ := p.Record("contact", mustAtoi(t, contact))
	item := object(object(call("crm.item.get", map[string]any{"entityTypeId": 3, "id": contact}).body["result"])["item"])
	if r["COMPANY_ID"] != "2" || fmt.Sprint(item["companyIds"]) != "[3 2]" {
		t.Errorf("COMPANY_ID %v, companyIds %v", r["COMPANY_ID"], item["companyIds"])
	}
	company := fmt.Sprint(call("crm.company.add", map[string]any{"fields": map[string]any{"TITLE": "Acme"}}).body["result"])
	call("crm.company.contact.add", map[string]any{"id": company, "fields": map[string]any{"CONTACT_ID": 1}})
	call("crm.company.contact.add", map[string]any{"id": company, "fields": map[string]any{"CONTACT_ID": contact}})
	if got := linkRows(t, appCall(t, s, p, tok.AccessToken, "crm.company.contact.items.get", map[string]any{"id": company}), "CONTACT_ID"); got != "[1:10:Y "+contact+":20:N]" {
		t.Errorf("company's contacts = %s", got)
	}
	ci := object(object(call("crm.item.get", map[string]any{"entityTypeId": 4, "id": company}).body["result"])["item"])
	if fmt.Sprint(ci["contactIds"]) != "[1 "+contact+"]" {
		t.Errorf("company contactIds = %v", ci["contactIds"])
	}
	// The two sides are one relation.
	sides := func(contact, company string) (bool, bool) {
		t.Helper()
		ct := object(object(call("crm.item.get", map[string]any{"entityTypeId": 3, "id": contact}).body["result"])["item"])
		co := object(object(call("crm.item.get", map[string]any{"entityTypeId": 4, "id": company}).body["result"])["item"])
		has := func(l any, id string) bool {
			return slices.Contains(strings.Fields(strings.Trim(fmt.Sprint(l), "[]")), id)
		}
		return has(ct["companyIds"], company), has(co["contactIds"], contact)
	}
	for _, pair := range [][2]string{{contact, "3"}, {contact, "2"}, {contact, company}, {"1", company}} {
		if a, b := sides(pair[0], pair[1]); !a || !b {
			t.Errorf("contact %s and company %s: contact side %v, company side %v", pair[0], pair[1], a, b)
		}
	}
	call("crm.contact.company.delete", map[string]any{"id": contact, "fields": map[string]any{"COMPANY_ID": company}})
	call("crm.company.contact.delete", map[string]any{"id": "3", "fields": map[string]any{"CONTACT_ID": contact}})
	for _, pair := range [][2]string{{contact, company}, {contact, "3"}} {
		if a, b := sides(pair[0], pair[1]); a || b {
			t.Errorf("unlinked contact %s and company %s: contact side %v, company side %v", pair[0], pair[1], a, b)
		}
	}
	if got := linkRows(t, appCall(t, s, p, tok.AccessToken, "crm.contact.company.items.get", map[string]any{"id": contact}), "COMPANY_ID"); got != "[2:10:Y]" {
		t.Errorf("contact's companies after unlinking from both sides = %s", got)
	}

	lead := fmt.Sprint(call("crm.lead.add", map[string]any{"fields": map[string]any{"TITLE": "lead"}}).body["result"])
	call("crm.lead.contact.items.set", map[string]any{"id": lead, "items": []any{map[string]any{"CONTACT_ID": 4}, map[string]any{"CONTACT_ID": 5}}})
	if lr, _ := p.Record("lead", mustAtoi(t, lead)); lr["CONTACT_ID"] != "4" {
		t.Errorf("lead CONTACT_ID = %v", lr["CONTACT_ID"])
	}
}

// Seeded records carry links computed from the seed: some deals have
// several contacts, the first primary, and two servers with one seed agree.
func TestSeededLinksAreStable(t *testing.T) {
	t.Parallel()
	opts := Options{Deals: 60, Contacts: 40, Seed: 11, Limits: Limits{Unlimited: true}}
	a, pa, ta := installed(t, opts)
	b, pb, tb := installed(t, opts)
	several := 0
	for id := 1; id <= 60; id++ {
		ra := linkRows(t, appCall(t, a, pa, ta.AccessToken, "crm.deal.contact.items.get", map[string]any{"id": id}), "CONTACT_ID")
		rb := linkRows(t, appCall(t, b, pb, tb.AccessToken, "crm.deal.contact.items.get", map[string]any{"id": id}), "CONTACT_ID")
		if ra != rb {
			t.Errorf("deal %d: %s and %s from one seed", id, ra, rb)
		}
		r, _ := pa.Record("deal", id)
		rows := list(mustOK(t, appCall(t, a, pa, ta.AccessToken, "crm.deal.contact.items.get", map[string]any{"id": id})).body["result"])
		if len(rows) == 0 {
			if r["CONTACT_ID"] != "0" {
				t.Errorf("deal %d: CONTACT_ID %v without links", id, r["CONTACT_ID"])
			}
			continue
		}
		if first := object(rows[0]); fmt.Sprint(first["CONTACT_ID"]) != r["CONTACT_ID"] || first["IS_PRIMARY"] != "Y" || fmt.Sprint(first["SORT"]) != "10" {
			t.Errorf("deal %d: first link %v, CONTACT_ID %v", id, first, r["CONTACT_ID"])
		}
		if len(rows) > 1 {
			several++
		}
	}
	if several == 0 {
		t.Error("no seeded deal has several contacts")
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}

// Seeded contacts and companies agree on who belongs to whom.
func TestSeededContactCompanyPairsAgree(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{Contacts: 50, Companies: 12, Seed: 3, Limits: Limits{Unlimited: true}})
	pairs := func(entityTypeID int, field string, flip bool) map[string]bool {
		out := map[string]bool{}
		for _, it := range list(object(mustOK(t, appCall(t, s, p, tok.AccessToken, "crm.item.list", map[string]any{"entityTypeId": entityTypeID, "select": []string{"id", field}})).body["result"])["items"]) {
			m := object(it)
			for _, v := range list(m[field]) {
				k := fmt.Sprint(m["id"], "-", v)
				if flip {
					k = fmt.Sprint(v, "-", m["id"])
				}
				out[k] = true
			}
		}
		return out
	}
	fromContacts, fromCompanies := pairs(3, "companyIds", false), pairs(4, "contactIds", true)
	if len(fromContacts) == 0 || fmt.Sprint(fromContacts) != fmt.Sprint(fromCompanies) {
		t.Errorf("contacts say %v, companies say %v", fromContacts, fromCompanies)
	}
}
