package b24test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A deal moved to another pipeline fires ONCRMDEALMOVETOCATEGORY with the
// new pipeline and stage, and no ONCRMDEALUPDATE.
func TestDealMoveToCategory(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	s, p, call := spaCaller(t, Options{Deals: 30})
	for _, e := range []string{"ONCRMDEALMOVETOCATEGORY", "ONCRMDEALUPDATE"} {
		mustOK(t, call("event.bind", map[string]any{"event": e, "handler": h.URL}))
	}
	var id int
	for i := 1; i <= 30 && id == 0; i++ {
		if d, _ := p.Record("deal", i); d["CATEGORY_ID"] == "0" {
			id = i
		}
	}
	a := postJSON(t, s.Client(), s.URL+"/_emulator/portals/"+p.MemberID()+"/deals/"+strconv.Itoa(id)+"/move", map[string]any{"user_id": 2, "category_id": 1})
	if a.status != http.StatusNoContent {
		t.Fatalf("move = %d %s", a.status, a.raw)
	}
	d := waitN(t, p, 1)[0]
	if d.Event != "ONCRMDEALMOVETOCATEGORY" || d.Body.Get("data[FIELDS][ID]") != strconv.Itoa(id) || d.Body.Get("data[FIELDS][CATEGORY_ID]") != "1" || d.Body.Get("data[FIELDS][STAGE_ID]") != "C1:NEW" {
		t.Errorf("delivery = %s %v", d.Event, d.Body)
	}
	if rec, _ := p.Record("deal", id); rec["CATEGORY_ID"] != "1" || rec["STAGE_ID"] != "C1:NEW" || rec["MOVED_BY_ID"] != "2" {
		t.Errorf("moved deal = %v", rec)
	}
	if err := p.MoveDeal(id, 2, "C1:WON", 2); err == nil {
		t.Error("a stage of another pipeline was taken")
	}
	mustOK(t, call("crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"TITLE": "after"}}))
	if ds := waitN(t, p, 2); ds[1].Event != "ONCRMDEALUPDATE" {
		t.Errorf("second delivery = %s, want the update that followed (the move sent no update)", ds[1].Event)
	}
}

// The portal lists the items of every type and opens the app's detail tab
// on their cards with PLACEMENT_OPTIONS naming the item.
func TestTypeCardsHostTheDetailTab(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{SmartProcesses: 1, SmartProcessItems: 60, Quotes: 3})
	bindTab(t, s, p, tok.AccessToken, "CRM_DYNAMIC_128_DETAIL_TAB", "http://app.example:8080/tab/spa", "History")
	bindTab(t, s, p, tok.AccessToken, "CRM_QUOTE_DETAIL_TAB", "http://app.example:8080/tab/quote", "Estimate history")

	list := uiGet(t, s, p, "/crm/type/128/list/category/0/")
	wantStatus(t, list, http.StatusOK)
	if ids := rowIDs(list.body); len(ids) != 50 || ids[0] != 60 {
		t.Errorf("first page rows = %v, want 60 down to 11", ids)
	}
	if !strings.Contains(list.body, `href="/crm/type/7/list/category/0/"`) || !strings.Contains(list.body, `href="/crm/type/128/list/category/0/" class="active"`) {
		t.Errorf("menu lacks the types: %.3000s", list.body)
	}
	card := uiGet(t, s, p, "/crm/type/128/details/5/")
	wantStatus(t, card, http.StatusOK)
	if !strings.Contains(card.body, `<a href="/crm/type/128/details/5/?tab=1">History</a>`) || strings.Contains(card.body, "Estimate history") {
		t.Fatalf("card tabs: %.2000s", card.body)
	}
	f := parseFrame(t, uiGet(t, s, p, "/crm/type/128/details/5/?tab=1").body)
	var opts map[string]any
	if err := json.Unmarshal([]byte(f.field("PLACEMENT_OPTIONS")), &opts); err != nil {
		t.Fatal(err)
	}
	if f.field("PLACEMENT") != "CRM_DYNAMIC_128_DETAIL_TAB" || opts["ID"] != "5" || opts["URI"] != "/crm/type/128/details/5/" || len(opts) != 2 {
		t.Errorf("PLACEMENT %q, PLACEMENT_OPTIONS %v", f.field("PLACEMENT"), opts)
	}
	q := parseFrame(t, uiGet(t, s, p, "/crm/type/7/details/2/?tab=1").body)
	if q.field("PLACEMENT") != "CRM_QUOTE_DETAIL_TAB" || !strings.Contains(q.field("PLACEMENT_OPTIONS"), `"ID":"2"`) {
		t.Errorf("estimate tab: PLACEMENT %q, options %q", q.field("PLACEMENT"), q.field("PLACEMENT_OPTIONS"))
	}
	wantStatus(t, uiGet(t, s, p, "/crm/type/128/details/61/"), http.StatusNotFound)
	wantStatus(t, uiGet(t, s, p, "/crm/type/129/list/category/0/"), http.StatusNotFound)
	wantStatus(t, uiGet(t, s, p, "/crm/type/2/list/category/0/"), http.StatusNotFound)
}

// A smart process's user fields are added, changed and deleted through
// userfieldconfig.*, each change firing ONCRMTYPEUSERFIELD* with the field's
// id, object and name; crm.item follows the field set.
func TestSmartProcessUserFieldEvents(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	app := testApp()
	app.Scopes = append(app.Scopes, "userfieldconfig")
	s, p, tok := installed(t, Options{App: app})
	call := func(m string, params map[string]any) answer {
		t.Helper()
		return appCall(t, s, p, tok.AccessToken, m, params)
	}
	for _, e := range []string{"ONCRMTYPEUSERFIELDADD", "ONCRMTYPEUSERFIELDUPDATE", "ONCRMTYPEUSERFIELDDELETE", "ONCRMTYPEUSERFIELDSETENUMVALUES"} {
		mustOK(t, call("event.bind", map[string]any{"event": e, "handler": h.URL}))
	}
	mustOK(t, call("crm.type.add", map[string]any{"fields": map[string]any{"title": "Orders"}}))
	if a := call("userfieldconfig.add", map[string]any{"field": map[string]any{"entityId": "CRM_1"}}); a.status != http.StatusBadRequest || a.errCode() != "" {
		t.Errorf("without moduleId = %d %s", a.status, a.raw)
	}
	if a := call("userfieldconfig.add", map[string]any{"moduleId": "crm", "field": map[string]any{"entityId": "CRM_128", "fieldName": "UF_CRM_128_X", "userTypeId": "string"}}); a.status != http.StatusBadRequest {
		t.Errorf("CRM_{entityTypeId} instead of CRM_{id} = %d %s", a.status, a.raw)
	}
	added := object(result(t, call("userfieldconfig.add", map[string]any{"moduleId": "crm", "field": map[string]any{
		"entityId": "CRM_1", "fieldName": "UF_CRM_1_COLOR", "userTypeId": "enumeration", "editFormLabel": map[string]any{"en": "Colour"},
		"enum": []any{map[string]any{"value": "Red"}, map[string]any{"value": "Blue"}},
	}}))["field"])
	fid := fmt.Sprint(added["id"])
	enum := list(added["enum"])
	if added["fieldName"] != "UF_CRM_1_COLOR" || len(enum) != 2 {
		t.Fatalf("userfieldconfig.add = %v", added)
	}
	check := func(ds []Delivery, want ...string) {
		t.Helper()
		var got []string
		for _, d := range ds {
			got = append(got, d.Event)
			if d.Body.Get("data[FIELDS][ID]") != fid || d.Body.Get("data[FIELDS][ENTITY_ID]") != "CRM_1" || d.Body.Get("data[FIELDS][FIELD_NAME]") != "UF_CRM_1_COLOR" {
				t.Errorf("%s data = %v", d.Event, d.Body)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
	}
	check(waitN(t, p, 2), "ONCRMTYPEUSERFIELDADD", "ONCRMTYPEUSERFIELDSETENUMVALUES")

	red := object(enum[0])["id"]
	item := object(result(t, call("crm.item.add", map[string]any{"entityTypeId": 128, "fields": map[string]any{"ufCrm1Color": red}}))["item"])
	if fmt.Sprint(item["ufCrm1Color"]) != fmt.Sprint(red) {
		t.Errorf("item = %v, want ufCrm1Color %v", item, red)
	}
	mustOK(t, call("userfieldconfig.update", map[string]any{"moduleId": "crm", "id": fid, "field": map[string]any{"enum": []any{map[string]any{"value": "Green"}}}}))
	check(waitN(t, p, 3)[2:], "ONCRMTYPEUSERFIELDSETENUMVALUES")
	mustOK(t, call("userfieldconfig.update", map[string]any{"moduleId": "crm", "id": fid, "field": map[string]any{"sort": 300}}))
	check(waitN(t, p, 4)[3:], "ONCRMTYPEUSERFIELDUPDATE")
	got := object(result(t, call("userfieldconfig.get", map[string]any{"moduleId": "crm", "id": fid}))["field"])
	if fmt.Sprint(got["sort"]) != "300" || len(list(got["enum"])) != 1 {
		t.Errorf("userfieldconfig.get = %v", got)
	}
	mustOK(t, call("userfieldconfig.delete", map[string]any{"moduleId": "crm", "id": fid}))
	check(waitN(t, p, 5)[4:], "ONCRMTYPEUSERFIELDDELETE")
	if a := call("userfieldconfig.get", map[string]any{"moduleId": "crm", "id": fid}); a.status != http.StatusBadRequest || a.errCode() != "" {
		t.Errorf("get after delete = %d %s", a.status, a.raw)
	}
	fields := object(result(t, call("crm.item.fields", map[string]any{"entityTypeId": 128}))["fields"])
	if _, ok := fields["ufCrm1Color"]; ok {
		t.Error("crm.item.fields still describes the deleted field")
	}
}

// The control API changes smart-process items as a person would, with the
// type's events.
func TestControlAPIChangesSmartProcessItems(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	s, p, call := spaCaller(t, Options{SmartProcesses: 1, SmartProcessItems: 2})
	mustOK(t, call("event.bind", map[string]any{"event": "ONCRMDYNAMICITEMADD_128", "handler": h.URL}))
	base := s.URL + "/_emulator/portals/" + p.MemberID() + "/records/"
	a := postJSON(t, s.Client(), base+"dynamic_128", map[string]any{"user_id": 3, "fields": map[string]any{"TITLE": "By hand", "ufCrm1Contract": "C-1"}})
	if a.status != http.StatusOK || fmt.Sprint(a.body["id"]) != "3" {
		t.Fatalf("add = %d %s", a.status, a.raw)
	}
	d := waitN(t, p, 1)[0]
	if d.Body.Get("data[FIELDS][ENTITY_TYPE_ID]") != "128" || tokenUser(t, s, p, d.Body) != "3" {
		t.Errorf("delivery = %v, want user 3's tokens", d.Body)
	}
	rec, ok := p.Record("dynamic_128", 3)
	if !ok || rec["TITLE"] != "By hand" || rec["UF_CRM_1_CONTRACT"] != "C-1" || rec["CREATED_BY"] != "3" {
		t.Errorf("record = %v", rec)
	}
	for _, bad := range []string{"dynamic_7", "dynamic_129", "invoice"} {
		if _, err := p.entityByName(bad); err == nil {
			t.Errorf("%s names a type", bad)
		}
	}
	if et, err := p.entityByName("smart_invoice"); err != nil || et.id != 31 {
		t.Errorf("smart_invoice = %v, %v", et, err)
	}
}
