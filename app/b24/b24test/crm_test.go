package b24test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
)

func TestLegacyListPagination(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 120})
	p := s.Portals()[0]
	a := mustOK(t, get(t, s.Client(), p.WebhookURL()+"crm.deal.list?start=50"))
	rows := list(a.body["result"])
	if len(rows) != 50 || fmt.Sprint(a.body["next"]) != "100" || fmt.Sprint(a.body["total"]) != "120" {
		t.Fatalf("page 2: %d rows, next %v, total %v", len(rows), a.body["next"], a.body["total"])
	}
	first := object(rows[0])
	if first["ID"] != "51" {
		t.Errorf("first row of page 2 = %v", first["ID"])
	}
	if _, ok := first["UF_CRM_1700000001"]; !ok {
		t.Error("default select lacks user fields")
	}
	if _, ok := first["OPPORTUNITY"].(string); !ok {
		t.Errorf("OPPORTUNITY = %#v, want a string", first["OPPORTUNITY"])
	}
	last := mustOK(t, get(t, s.Client(), p.WebhookURL()+"crm.deal.list?start=100"))
	if _, ok := last.body["next"]; ok || len(list(last.body["result"])) != 20 {
		t.Errorf("last page has next or wrong size: %s", last.raw[:200])
	}
	nocount := mustOK(t, get(t, s.Client(), p.WebhookURL()+"crm.deal.list?start=-1&order[ID]=ASC&filter[>ID]=100&select[]=ID"))
	if _, ok := nocount.body["next"]; ok || fmt.Sprint(nocount.body["total"]) != "0" || len(list(nocount.body["result"])) != 20 {
		t.Errorf("start=-1: %s", nocount.raw)
	}
}

func TestKeysetScanSeesEveryRecordOnce(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 237, Limits: Limits{Unlimited: true}})
	p := s.Portals()[0]
	if err := p.DeleteRecord("deal", 60, Automation); err != nil {
		t.Fatal(err)
	}
	seen, last := 0, 0
	for {
		a := mustOK(t, hookCall(t, s, p, "crm.item.list", map[string]any{
			"entityTypeId": 2, "order": map[string]any{"id": "ASC"}, "filter": map[string]any{">id": last},
			"select": []string{"id", "title", "updatedTime"}, "start": -1,
		}))
		items := list(object(a.body["result"])["items"])
		for _, it := range items {
			id, _ := object(it)["id"].(json.Number).Int64()
			if int(id) <= last {
				t.Fatalf("id %d after %d", id, last)
			}
			last = int(id)
			seen++
		}
		if len(items) < 50 {
			break
		}
	}
	if seen != 236 {
		t.Errorf("keyset scan saw %d deals, want 236", seen)
	}
}

func TestLegacyFilters(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 200, Contacts: 50})
	p := s.Portals()[0]
	count := func(method, query string) int {
		a := mustOK(t, get(t, s.Client(), p.WebhookURL()+method+"?"+query))
		n, _ := strconv.Atoi(fmt.Sprint(a.body["total"]))
		return n
	}
	all := count("crm.deal.list", "")
	won := count("crm.deal.list", "filter[STAGE_ID]=WON")
	notWon := count("crm.deal.list", "filter[!STAGE_ID]=WON")
	if won == 0 || won+notWon != all {
		t.Errorf("WON %d + not WON %d != %d", won, notWon, all)
	}
	if got := count("crm.deal.list", q("filter[>=ID]")+"=10&"+q("filter[<ID]")+"=20"); got != 10 {
		t.Errorf(">=10 <20 = %d, want 10", got)
	}
	if got := count("crm.deal.list", "filter[@ID][]=3&filter[@ID][]=5&filter[@ID][]=999"); got != 2 {
		t.Errorf("@ID = %d, want 2", got)
	}
	if got := count("crm.deal.list", "filter[!@ID][]=3&filter[!@ID][]=5"); got != all-2 {
		t.Errorf("!@ID = %d, want %d", got, all-2)
	}
	big := count("crm.deal.list", q("filter[>OPPORTUNITY]")+"=100000")
	small := count("crm.deal.list", q("filter[<=OPPORTUNITY]")+"=100000")
	if big == 0 || big+small != all {
		t.Errorf("OPPORTUNITY split %d + %d != %d", big, small, all)
	}
	if got := count("crm.deal.list", q("filter[%TITLE]")+"=furniture"); got == 0 || got == all {
		t.Errorf("%%TITLE=furniture matched %d of %d", got, all)
	}
	if got := count("crm.deal.list", q("filter[%=TITLE]")+"="+q("office%")); got == 0 {
		t.Errorf("%%=TITLE=office%% matched nothing")
	}
	if got := count("crm.deal.list", q("filter[>DATE_CREATE]")+"=2030-01-01"); got != 0 {
		t.Errorf("future DATE_CREATE matched %d", got)
	}
	if got := count("crm.deal.list", q("filter[>DATE_MODIFY]")+"="+q("2021-01-01T00:00:00+03:00")); got != all {
		t.Errorf("DATE_MODIFY after 2021 matched %d of %d", got, all)
	}
	rec, _ := p.Record("contact", 7)
	phones, _ := rec["PHONE"].([]any)
	if len(phones) == 0 {
		rec, _ = p.Record("contact", 8)
		phones, _ = rec["PHONE"].([]any)
	}
	if len(phones) > 0 {
		v := object(phones[0])["VALUE"].(string)
		if got := count("crm.contact.list", "filter[PHONE]="+q(v)); got != 1 {
			t.Errorf("PHONE=%s matched %d", v, got)
		}
	}
	desc := mustOK(t, get(t, s.Client(), p.WebhookURL()+"crm.deal.list?order[OPPORTUNITY]=DESC&select[]=OPPORTUNITY"))
	rows := list(desc.body["result"])
	for i := 1; i < len(rows); i++ {
		a, _ := strconv.ParseFloat(object(rows[i-1])["OPPORTUNITY"].(string), 64)
		b, _ := strconv.ParseFloat(object(rows[i])["OPPORTUNITY"].(string), 64)
		if a < b {
			t.Fatalf("order by OPPORTUNITY DESC broken at %d: %v < %v", i, a, b)
		}
	}
}

func TestLegacyGetAndErrors(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Contacts: 10})
	p := s.Portals()[0]
	c := mustOK(t, get(t, s.Client(), p.WebhookURL()+"crm.contact.get?id=3"))
	r := object(c.body["result"])
	if _, ok := r["PHONE"]; !ok {
		t.Errorf("crm.contact.get lacks PHONE: %s", c.raw)
	}
	for _, tt := range []struct{ query, desc string }{
		{"crm.contact.get?id=99", "Not found"},
		{"crm.contact.get", "ID is not defined or invalid"},
		{"crm.contact.update?id=3", "Parameter 'fields' must be array."},
	} {
		a := get(t, s.Client(), p.WebhookURL()+tt.query)
		if a.status != http.StatusBadRequest || a.raw == "" || a.body["error"] != "" || a.body["error_description"] != tt.desc {
			t.Errorf("%s = %d %s, want 400 with empty error and %q", tt.query, a.status, a.raw, tt.desc)
		}
	}
	list := mustOK(t, get(t, s.Client(), p.WebhookURL()+"crm.contact.list?select[]=ID&select[]=NAME"))
	if row := object(listOf0(list.body["result"])); len(row) != 2 {
		t.Errorf("explicit select returned %v", row)
	}
	withPhone := mustOK(t, get(t, s.Client(), p.WebhookURL()+"crm.contact.list?select[]=ID&select[]=PHONE"))
	if _, ok := object(listOf0(withPhone.body["result"]))["PHONE"]; !ok {
		t.Error("PHONE not returned when named in select")
	}
	star := mustOK(t, get(t, s.Client(), p.WebhookURL()+"crm.contact.list?select[]=*"))
	if _, ok := object(listOf0(star.body["result"]))["PHONE"]; ok {
		t.Error("PHONE returned for select *")
	}
}

func listOf0(v any) any {
	if l := list(v); len(l) > 0 {
		return l[0]
	}
	return nil
}

func TestLegacyWriteCycle(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s, p, tok := installed(t, Options{Now: clk.Now})
	add := mustOK(t, postForm(t, s.Client(), p.ClientEndpoint()+"crm.contact.add",
		"auth="+tok.AccessToken+"&fields[NAME]=Ann&fields[PHONE][0][VALUE]=112233&fields[PHONE][0][VALUE_TYPE]=WORK"))
	id := fmt.Sprint(add.body["result"])
	got := object(mustOK(t, appCall(t, s, p, tok.AccessToken, "crm.contact.get", map[string]any{"id": id})).body["result"])
	phones := list(got["PHONE"])
	if len(phones) != 1 || object(phones[0])["VALUE"] != "112233" || got["HAS_PHONE"] != "Y" || got["CREATED_BY_ID"] != "1" {
		t.Fatalf("added contact = %v", got)
	}
	phoneID := object(phones[0])["ID"]
	clk.Add(1 << 30)
	mustOK(t, appCall(t, s, p, tok.AccessToken, "crm.contact.update", map[string]any{"id": id, "fields": map[string]any{
		"PHONE": []any{map[string]any{"ID": phoneID, "VALUE": ""}, map[string]any{"VALUE": "445566", "VALUE_TYPE": "MOBILE"}},
	}}))
	got = object(mustOK(t, appCall(t, s, p, tok.AccessToken, "crm.contact.get", map[string]any{"id": id})).body["result"])
	phones = list(got["PHONE"])
	if len(phones) != 1 || object(phones[0])["VALUE"] != "445566" || got["DATE_MODIFY"] == got["DATE_CREATE"] {
		t.Errorf("after update = %v", got)
	}
	mustOK(t, appCall(t, s, p, tok.AccessToken, "crm.contact.delete", map[string]any{"id": id}))
	if a := appCall(t, s, p, tok.AccessToken, "crm.contact.get", map[string]any{"id": id}); a.status != http.StatusBadRequest {
		t.Errorf("get after delete = %d", a.status)
	}
}

func TestDealStageMove(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 5})
	p := s.Portals()[0]
	a := mustOK(t, hookCall(t, s, p, "crm.deal.add", map[string]any{"fields": map[string]any{"TITLE": "T", "CATEGORY_ID": 1, "OPPORTUNITY": 1234.5}}))
	id := fmt.Sprint(a.body["result"])
	d, _ := p.Record("deal", atoi(id))
	if d["STAGE_ID"] != "C1:NEW" || d["OPPORTUNITY"] != "1234.50" || d["IS_NEW"] != "Y" {
		t.Fatalf("new deal = %v", d)
	}
	mustOK(t, hookCall(t, s, p, "crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"STAGE_ID": "C1:WON", "CATEGORY_ID": 2}}))
	d, _ = p.Record("deal", atoi(id))
	if d["STAGE_ID"] != "C1:WON" || d["CATEGORY_ID"] != "1" || d["CLOSED"] != "Y" || d["STAGE_SEMANTIC_ID"] != "S" {
		t.Errorf("won deal = %v", d)
	}
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func TestOwnRecordsOnlyUser(t *testing.T) {
	t.Parallel()
	s, p, _ := installed(t, Options{Deals: 100})
	if u := p.Users()[p.OwnRecordsUserID()-1]; !u.OwnRecordsOnly || u.Admin {
		t.Fatalf("Users() = %+v", p.Users())
	}
	own, _ := p.IssueTokens(p.OwnRecordsUserID())
	a := mustOK(t, appCall(t, s, p, own.AccessToken, "crm.deal.list", map[string]any{"select": []string{"ID", "ASSIGNED_BY_ID"}}))
	rows := list(a.body["result"])
	if len(rows) == 0 {
		t.Fatal("own-records user sees no deals")
	}
	for _, r := range rows {
		if object(r)["ASSIGNED_BY_ID"] != strconv.Itoa(p.OwnRecordsUserID()) {
			t.Fatalf("own-records user sees %v", r)
		}
	}
	other := 0
	for id := 1; id <= 100 && other == 0; id++ {
		if d, _ := p.Record("deal", id); d["ASSIGNED_BY_ID"] != strconv.Itoa(p.OwnRecordsUserID()) {
			other = id
		}
	}
	g := appCall(t, s, p, own.AccessToken, "crm.deal.get", map[string]any{"id": other})
	if g.status != http.StatusBadRequest || g.body["error"] != "" || g.body["error_description"] != "Access denied" {
		t.Errorf("get of another's deal = %d %s", g.status, g.raw)
	}
	it := appCall(t, s, p, own.AccessToken, "crm.item.get", map[string]any{"entityTypeId": 2, "id": other})
	if it.errCode() != "ACCESS_DENIED" {
		t.Errorf("crm.item.get of another's deal = %d %s", it.status, it.raw)
	}
}

func TestItemMethods(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Contacts: 20})
	p := s.Portals()[0]
	g := mustOK(t, hookCall(t, s, p, "crm.item.get", map[string]any{"entityTypeId": 3, "id": 5}))
	item := object(object(g.body["result"])["item"])
	if _, ok := item["id"].(json.Number); !ok {
		t.Errorf("item.id = %#v, want a number", item["id"])
	}
	if _, ok := item["fm"]; !ok {
		t.Errorf("crm.item.get lacks fm: %v", item)
	}
	add := mustOK(t, hookCall(t, s, p, "crm.item.add", map[string]any{"entityTypeId": 3, "fields": map[string]any{
		"name": "Bo", "assignedById": 2, "fm": []any{map[string]any{"typeId": "EMAIL", "valueType": "WORK", "value": "bo@example.com"}},
	}}))
	added := object(object(add.body["result"])["item"])
	if added["name"] != "Bo" || fmt.Sprint(added["assignedById"]) != "2" || len(list(added["fm"])) != 1 {
		t.Errorf("crm.item.add = %v", added)
	}
	del := mustOK(t, hookCall(t, s, p, "crm.item.delete", map[string]any{"entityTypeId": 3, "id": added["id"]}))
	if fmt.Sprint(del.body["result"]) != "[]" {
		t.Errorf("crm.item.delete result = %v", del.raw)
	}
	nf := hookCall(t, s, p, "crm.item.get", map[string]any{"entityTypeId": 3, "id": 999})
	if nf.status != http.StatusBadRequest || nf.errCode() != "NOT_FOUND" {
		t.Errorf("missing item = %d %s", nf.status, nf.raw)
	}
	orig := mustOK(t, hookCall(t, s, p, "crm.item.list", map[string]any{"entityTypeId": 3, "select": []string{"id", "ufCrm_1700000201"}, "useOriginalUfNames": "Y"}))
	if _, ok := object(listOf0(object(orig.body["result"])["items"]))["UF_CRM_1700000201"]; !ok {
		t.Errorf("useOriginalUfNames=Y: %s", orig.raw[:300])
	}
	f := mustOK(t, hookCall(t, s, p, "crm.item.fields", map[string]any{"entityTypeId": 2}))
	fs := object(object(f.body["result"])["fields"])
	if object(fs["stageId"])["upperName"] != "STAGE_ID" {
		t.Errorf("crm.item.fields stageId = %v", fs["stageId"])
	}
}

func TestDictionaries(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{})
	p := s.Portals()[0]
	a := mustOK(t, hookCall(t, s, p, "crm.status.list", map[string]any{"filter": map[string]any{"ENTITY_ID": "DEAL_STAGE_1"}}))
	rows := list(a.body["result"])
	if len(rows) != 5 || object(rows[0])["STATUS_ID"] != "C1:NEW" {
		t.Errorf("DEAL_STAGE_1 = %s", a.raw)
	}
	b := mustOK(t, hookCall(t, s, p, "crm.dealcategory.stage.list", map[string]any{"id": 0}))
	if got := len(list(b.body["result"])); got != 8 {
		t.Errorf("default pipeline has %d stages", got)
	}
	f := mustOK(t, hookCall(t, s, p, "crm.deal.fields", nil))
	uf := object(object(f.body["result"])["UF_CRM_1700000002"])
	if uf["type"] != "enumeration" || len(list(uf["items"])) != 3 || uf["title"] != "UF_CRM_1700000002" || uf["listLabel"] != "Priority" {
		t.Errorf("enumeration field = %v", uf)
	}
	u := mustOK(t, hookCall(t, s, p, "crm.deal.userfield.list", nil))
	if got := len(list(u.body["result"])); got != 7 {
		t.Errorf("crm.deal.userfield.list has %d fields", got)
	}
}

func TestDeterministicData(t *testing.T) {
	t.Parallel()
	a := NewTestServer(t, Options{Deals: 10, Seed: 7})
	b := NewTestServer(t, Options{Deals: 10, Seed: 7})
	c := NewTestServer(t, Options{Deals: 10, Seed: 8})
	ra, _ := a.Portals()[0].Record("deal", 4)
	rb, _ := b.Portals()[0].Record("deal", 4)
	rc, _ := c.Portals()[0].Record("deal", 4)
	ja, _ := json.Marshal(ra)
	jb, _ := json.Marshal(rb)
	jc, _ := json.Marshal(rc)
	if string(ja) != string(jb) || a.Portals()[0].MemberID() != b.Portals()[0].MemberID() {
		t.Error("same seed gave different data")
	}
	if string(ja) == string(jc) {
		t.Error("different seeds gave the same deal")
	}
}

// TestLegacySelectMasks: as crm.deal.list documents, "*" leaves out
// multiple fields and "UF_*" multiple user fields, which come only when
// named; a get returns every field, empty ones included.
func TestLegacySelectMasks(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 3, Contacts: 3})
	p := s.Portals()[0]
	const dealTags, contactTags = "UF_CRM_1700000005", "UF_CRM_1700000205"
	if err := p.UpdateRecord("deal", 1, p.AdminID(), map[string]any{"COMMENTS": "", dealTags: []string{}, "UF_CRM_1700000001": nil}); err != nil {
		t.Fatal(err)
	}
	keys := func(method string, params map[string]any) map[string]any {
		t.Helper()
		return object(list(mustOK(t, hookCall(t, s, p, method, params)).body["result"])[0])
	}
	for _, c := range []struct {
		method  string
		select_ []string
		has     []string
		lacks   []string
	}{
		{"crm.deal.list", nil, []string{"TITLE", "UF_CRM_1700000001"}, []string{dealTags}},
		{"crm.deal.list", []string{"*", "UF_*"}, []string{"TITLE", "UF_CRM_1700000001"}, []string{dealTags}},
		{"crm.deal.list", []string{"*", "UF_*", dealTags}, []string{"TITLE", dealTags}, nil},
		{"crm.contact.list", []string{"*", "UF_*"}, []string{"NAME"}, []string{"PHONE", "EMAIL", contactTags}},
		{"crm.contact.list", []string{"*", "UF_*", "PHONE", contactTags}, []string{"PHONE", contactTags}, []string{"EMAIL"}},
	} {
		params := map[string]any{"filter": map[string]any{"ID": 1}}
		if c.select_ != nil {
			params["select"] = c.select_
		}
		row := keys(c.method, params)
		for _, k := range c.has {
			if _, ok := row[k]; !ok {
				t.Errorf("%s select %v lacks %s", c.method, c.select_, k)
			}
		}
		for _, k := range c.lacks {
			if _, ok := row[k]; ok {
				t.Errorf("%s select %v returns %s", c.method, c.select_, k)
			}
		}
	}
	deal := object(mustOK(t, hookCall(t, s, p, "crm.deal.get", map[string]any{"id": 1})).body["result"])
	for _, k := range []string{"COMMENTS", dealTags, "UF_CRM_1700000001"} {
		v, ok := deal[k]
		if !ok {
			t.Errorf("crm.deal.get lacks the empty field %s", k)
		} else if v != nil && v != "" && len(list(v)) != 0 {
			t.Errorf("crm.deal.get %s = %#v, want empty", k, v)
		}
	}
	contact := object(mustOK(t, hookCall(t, s, p, "crm.contact.get", map[string]any{"id": 1})).body["result"])
	for _, k := range []string{"PHONE", "EMAIL", contactTags} {
		if _, ok := contact[k]; !ok {
			t.Errorf("crm.contact.get lacks %s", k)
		}
	}
}
