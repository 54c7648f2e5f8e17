package b24test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"testing"
)

// spaCaller calls methods with the admin's token.
func spaCaller(t *testing.T, opts Options) (*Server, *Portal, func(string, map[string]any) answer) {
	t.Helper()
	s, p, tok := installed(t, opts)
	return s, p, func(m string, params map[string]any) answer {
		t.Helper()
		return appCall(t, s, p, tok.AccessToken, m, params)
	}
}

func result(t *testing.T, a answer) map[string]any {
	t.Helper()
	return object(mustOK(t, a).body["result"])
}

// The camelCase names of user fields follow the documented rules.
func TestUserFieldItemNames(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ upper, item string }{
		{"UF_CRM_3_DIGIT", "ufCrm3Digit"},
		{"UF_CRM_3_1747309727", "ufCrm3_1747309727"},
		{"UF_CRM_3_DIGIT10", "ufCrm_3_DIGIT10"},
		{"UF_CRM_3_DIGIT_10", "ufCrm_3_DIGIT_10"},
		{"UF_CRM_1747309879", "ufCrm_1747309879"},
		{"UF_CRM_12_DUE_DATE", "ufCrm12DueDate"},
		{"UF_CRM_SMART_INVOICE_1700000050", "ufCrm_SMART_INVOICE_1700000050"},
	} {
		if got := ufItemName(c.upper, nil); got != c.item {
			t.Errorf("%s → %s, want %s", c.upper, got, c.item)
		}
	}
	if got := ufItemName("UF_CRM_3_DIGIT", map[string]bool{"ufCrm3Digit": true}); got != "UF_CRM_3_DIGIT" {
		t.Errorf("a colliding name → %s, want it to keep its UPPER_CASE name", got)
	}
}

// A smart process lives from crm.type.add to crm.type.delete: its items are
// added, read, listed, changed and deleted through crm.item.*, and every
// step fires the documented events.
func TestSmartProcessLifecycle(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	_, p, call := spaCaller(t, Options{Deals: 5})
	for _, e := range []string{"ONCRMTYPEADD", "ONCRMTYPEUPDATE", "ONCRMTYPEDELETE", "ONCRMDYNAMICITEMADD", "ONCRMDYNAMICITEMUPDATE", "ONCRMDYNAMICITEMDELETE"} {
		mustOK(t, call("event.bind", map[string]any{"event": e, "handler": h.URL}))
	}
	typ := object(result(t, call("crm.type.add", map[string]any{"fields": map[string]any{
		"title": "Projects", "isCategoriesEnabled": "Y", "isStagesEnabled": "Y", "isClientEnabled": "Y",
		"relations": map[string]any{"parent": []any{map[string]any{"entityTypeId": 2, "isChildrenListEnabled": "true"}}},
	}}))["type"])
	if fmt.Sprint(typ["id"]) != "1" || fmt.Sprint(typ["entityTypeId"]) != "128" || typ["isCategoriesEnabled"] != "Y" || typ["isObserversEnabled"] != "N" {
		t.Fatalf("crm.type.add = %v", typ)
	}
	if d := waitN(t, p, 1)[0]; d.Event != "ONCRMTYPEADD" || d.Body.Get("data[FIELDS][ID]") != "1" {
		t.Fatalf("type add delivery = %s %v, want the settings id 1", d.Event, d.Body)
	}
	// The per-type events exist once the type does.
	mustOK(t, call("event.bind", map[string]any{"event": "ONCRMDYNAMICITEMADD_128", "handler": h.URL}))
	if a := call("event.bind", map[string]any{"event": "ONCRMDYNAMICITEMADD_129", "handler": h.URL}); a.errCode() != "ERROR_EVENT_NOT_FOUND" {
		t.Errorf("bind to a type that does not exist = %d %s", a.status, a.raw)
	}
	if names := list(mustOK(t, call("events", nil)).body["result"]); !slices.Contains(names, any("ONCRMDYNAMICITEMUPDATE_128")) {
		t.Errorf("events does not list the per-type update event: %v", names)
	}

	item := object(result(t, call("crm.item.add", map[string]any{"entityTypeId": 128, "fields": map[string]any{"title": "Launch", "parentId2": 3, "contactIds": []int{}}}))["item"])
	if fmt.Sprint(item["id"]) != "1" || item["stageId"] != "DT128_10:NEW" || fmt.Sprint(item["categoryId"]) != "10" || fmt.Sprint(item["parentId2"]) != "3" || fmt.Sprint(item["entityTypeId"]) != "128" {
		t.Fatalf("crm.item.add = %v", item)
	}
	ds := waitN(t, p, 3)[1:]
	slices.SortFunc(ds, func(a, b Delivery) int { return len(a.Event) - len(b.Event) })
	for i, want := range []string{"ONCRMDYNAMICITEMADD", "ONCRMDYNAMICITEMADD_128"} {
		if ds[i].Event != want || ds[i].Body.Get("data[FIELDS][ID]") != "1" || ds[i].Body.Get("data[FIELDS][ENTITY_TYPE_ID]") != "128" {
			t.Errorf("delivery %d = %s %v, want %s with ID and ENTITY_TYPE_ID", i, ds[i].Event, ds[i].Body, want)
		}
	}

	upd := object(result(t, call("crm.item.update", map[string]any{"entityTypeId": 128, "id": 1, "fields": map[string]any{"stageId": "DT128_10:CLIENT"}}))["item"])
	if upd["stageId"] != "DT128_10:CLIENT" || upd["previousStageId"] != "DT128_10:NEW" || upd["title"] != "Launch" {
		t.Errorf("crm.item.update = %v", upd)
	}
	if a := call("crm.item.update", map[string]any{"entityTypeId": 128, "id": 1, "fields": map[string]any{"stageId": "DT128_11:NEW"}}); a.status != http.StatusBadRequest {
		t.Errorf("a stage of another pipeline = %d %s", a.status, a.raw)
	}
	moved := object(result(t, call("crm.item.update", map[string]any{"entityTypeId": 128, "id": 1, "fields": map[string]any{"categoryId": 11}}))["item"])
	if moved["stageId"] != "DT128_11:NEW" {
		t.Errorf("moved to pipeline 11 without a stage: stageId = %v, want its first stage", moved["stageId"])
	}
	got := object(result(t, call("crm.item.get", map[string]any{"entityTypeId": 128, "id": 1}))["item"])
	if got["stageId"] != "DT128_11:NEW" {
		t.Errorf("crm.item.get = %v", got)
	}
	listed := list(result(t, call("crm.item.list", map[string]any{"entityTypeId": 128, "filter": map[string]any{"=stageId": "DT128_11:NEW"}}))["items"])
	if len(listed) != 1 {
		t.Errorf("crm.item.list by stage = %v", listed)
	}
	if a := call("crm.type.delete", map[string]any{"id": 1}); a.errCode() != "BX_ERROR" {
		t.Errorf("deleting a type with items = %d %s", a.status, a.raw)
	}
	mustOK(t, call("crm.item.delete", map[string]any{"entityTypeId": 128, "id": 1}))
	mustOK(t, call("crm.type.update", map[string]any{"id": 1, "fields": map[string]any{"title": "Projects 2"}}))
	mustOK(t, call("crm.type.delete", map[string]any{"id": 1}))
	ds = waitN(t, p, 8)[3:]
	var names []string
	for _, d := range ds {
		names = append(names, d.Event)
		if d.Event == "ONCRMTYPEDELETE" && d.Body.Get("data[FIELDS][ID]") != "1" {
			t.Errorf("type delete carries %v, want the settings id", d.Body)
		}
	}
	slices.Sort(names)
	if want := []string{"ONCRMDYNAMICITEMDELETE", "ONCRMDYNAMICITEMUPDATE", "ONCRMDYNAMICITEMUPDATE", "ONCRMTYPEDELETE", "ONCRMTYPEUPDATE"}; !slices.Equal(names, want) {
		t.Errorf("events after the add = %v, want %v", names, want)
	}
	if a := call("crm.item.list", map[string]any{"entityTypeId": 128}); a.errCode() != "NOT_FOUND" {
		t.Errorf("items of a deleted type = %d %s", a.status, a.raw)
	}
	if a := call("crm.type.get", map[string]any{"id": 1}); a.status != http.StatusBadRequest || fmt.Sprint(a.body["error"]) != "0" {
		t.Errorf("crm.type.get of a deleted type = %d %s", a.status, a.raw)
	}
}

// crm.type tells the settings key from the entityTypeId, keeps new types in
// the documented ranges and is for administrators.
func TestSmartProcessTypeIdentifiers(t *testing.T) {
	t.Parallel()
	s, p, call := spaCaller(t, Options{SmartProcesses: 2})
	if a := call("crm.type.add", map[string]any{"fields": map[string]any{"title": "X", "entityTypeId": 200}}); a.errCode() != "INVALID_ARG_VALUE" {
		t.Errorf("entityTypeId 200 = %d %s", a.status, a.raw)
	}
	if a := call("crm.type.add", map[string]any{"fields": map[string]any{"title": "X", "entityTypeId": 128}}); a.errCode() != "INVALID_ARG_VALUE" {
		t.Errorf("a taken entityTypeId = %d %s", a.status, a.raw)
	}
	if a := call("crm.type.add", map[string]any{}); a.errCode() != "100" {
		t.Errorf("no fields = %d %s", a.status, a.raw)
	}
	typ := object(result(t, call("crm.type.add", map[string]any{"fields": map[string]any{"title": "Far", "entityTypeId": 1030}}))["type"])
	if fmt.Sprint(typ["id"]) != "3" || fmt.Sprint(typ["entityTypeId"]) != "1030" {
		t.Fatalf("crm.type.add = %v", typ)
	}
	byID := object(result(t, call("crm.type.get", map[string]any{"id": 3}))["type"])
	byType := object(result(t, call("crm.type.getByEntityTypeId", map[string]any{"entityTypeId": 1030}))["type"])
	if byID["title"] != "Far" || byType["title"] != "Far" || byID["relations"] == nil {
		t.Errorf("get = %v, getByEntityTypeId = %v", byID, byType)
	}
	if a := call("crm.type.get", map[string]any{"id": 1030}); a.status != http.StatusBadRequest {
		t.Errorf("crm.type.get takes the settings id, not the entityTypeId: %d %s", a.status, a.raw)
	}
	types := list(result(t, call("crm.type.list", map[string]any{"filter": map[string]any{">entityTypeId": 128}, "order": map[string]any{"entityTypeId": "DESC"}}))["types"])
	if len(types) != 2 || fmt.Sprint(object(types[0])["entityTypeId"]) != "1030" || fmt.Sprint(object(types[1])["entityTypeId"]) != "129" {
		t.Errorf("crm.type.list = %v", types)
	}
	user, err := p.IssueTokens(2)
	if err != nil {
		t.Fatal(err)
	}
	if a := appCall(t, s, p, user.AccessToken, "crm.type.list", nil); a.errCode() != "ACCESS_DENIED" {
		t.Errorf("crm.type.list by an employee = %d %s", a.status, a.raw)
	}
	mustOK(t, appCall(t, s, p, user.AccessToken, "crm.type.getByEntityTypeId", map[string]any{"entityTypeId": 128}))
	if a := call("crm.item.list", map[string]any{"entityTypeId": 5}); a.errCode() != "ENTITY_TYPE_NOT_SUPPORTED" {
		t.Errorf("old invoices through crm.item = %d %s", a.status, a.raw)
	}
	if a := call("crm.quote.list", nil); a.errCode() != "ERROR_METHOD_NOT_FOUND" {
		t.Errorf("legacy crm.quote.list = %d %s, want it left out", a.status, a.raw)
	}
}

// Every type has its pipelines and stage dictionaries: estimates one status
// list, smart invoices one pipeline, smart processes two.
func TestPipelinesAndStagesPerType(t *testing.T) {
	t.Parallel()
	_, _, call := spaCaller(t, Options{SmartProcesses: 1})
	if a := call("crm.category.list", map[string]any{"entityTypeId": 7}); a.errCode() != "ENTITY_TYPE_NOT_SUPPORTED" {
		t.Errorf("estimate pipelines = %d %s", a.status, a.raw)
	}
	inv := list(result(t, call("crm.category.list", map[string]any{"entityTypeId": 31}))["categories"])
	if len(inv) != 1 || fmt.Sprint(object(inv[0])["id"]) != "3" || object(inv[0])["isDefault"] != "Y" {
		t.Errorf("smart invoice pipelines = %v", inv)
	}
	spa := list(result(t, call("crm.category.list", map[string]any{"entityTypeId": 128}))["categories"])
	if len(spa) != 2 || object(spa[0])["isDefault"] != "Y" || object(spa[1])["isSystem"] != "N" || fmt.Sprint(object(spa[1])["entityTypeId"]) != "128" {
		t.Errorf("smart process pipelines = %v", spa)
	}
	cat := object(result(t, call("crm.category.get", map[string]any{"entityTypeId": 128, "id": 11}))["category"])
	if cat["name"] != "Second pipeline" {
		t.Errorf("crm.category.get = %v", cat)
	}
	if a := call("crm.category.get", map[string]any{"entityTypeId": 128, "id": 3}); a.errCode() != "NOT_FOUND" {
		t.Errorf("another type's pipeline = %d %s", a.status, a.raw)
	}
	for entity, want := range map[string][]string{
		"DYNAMIC_128_STAGE_10":  {"DT128_10:NEW", "DT128_10:PREPARATION", "DT128_10:CLIENT", "DT128_10:SUCCESS", "DT128_10:FAIL"},
		"SMART_INVOICE_STAGE_3": {"DT31_3:N", "DT31_3:S", "DT31_3:P", "DT31_3:D"},
		"QUOTE_STATUS":          {"DRAFT", "SENT", "RECEIVED", "APPROVED", "DECLAINED"},
	} {
		rows := mustOK(t, call("crm.status.list", map[string]any{"filter": map[string]any{"ENTITY_ID": entity}})).body["result"]
		var ids []string
		for _, r := range list(rows) {
			ids = append(ids, strString(object(r)["STATUS_ID"]))
		}
		if !slices.Equal(ids, want) {
			t.Errorf("%s = %v, want %v", entity, ids, want)
		}
		last := object(list(rows)[len(list(rows))-1])
		if last["SEMANTICS"] != "F" || object(last["EXTRA"])["SEMANTICS"] != "failure" {
			t.Errorf("%s last stage = %v, want a failure", entity, last)
		}
	}
	var found bool
	for _, r := range list(mustOK(t, call("crm.status.entity.types", nil)).body["result"]) {
		o := object(r)
		if o["ID"] == "DYNAMIC_128_STAGE_11" {
			found = o["PREFIX"] == "DT128_11" && fmt.Sprint(o["ENTITY_TYPE_ID"]) == "128" && fmt.Sprint(o["CATEGORY_ID"]) == "11"
		}
	}
	if !found {
		t.Error("crm.status.entity.types does not describe DYNAMIC_128_STAGE_11")
	}
	f := object(object(result(t, call("crm.item.fields", map[string]any{"entityTypeId": 128}))["fields"])["stageId"])
	if f["statusType"] != "DYNAMIC_128_STAGE_10" || f["upperName"] != "STAGE_ID" {
		t.Errorf("stageId descriptor = %v", f)
	}
}

// Seeded smart-process items are listed by key, 50 at a time, under their
// user fields' camelCase or original names.
func TestSeededSmartProcessItems(t *testing.T) {
	t.Parallel()
	_, _, call := spaCaller(t, Options{SmartProcesses: 2, SmartProcessItems: 120, Deals: 10})
	last, n := 0, 0
	for {
		items := list(result(t, call("crm.item.list", map[string]any{"entityTypeId": 129, "order": map[string]any{"id": "ASC"}, "filter": map[string]any{">id": last}, "start": -1, "select": []string{"id", "stageId", "ufCrm2Contract"}}))["items"])
		if len(items) == 0 {
			break
		}
		for _, x := range items {
			o := object(x)
			id := 0
			fmt.Sscan(fmt.Sprint(o["id"]), &id)
			if id != last+1 {
				t.Fatalf("after %d came %d", last, id)
			}
			if _, ok := o["ufCrm2Contract"]; !ok || len(o) != 4 || fmt.Sprint(o["entityTypeId"]) != "129" {
				t.Fatalf("item %v, want id, stageId, ufCrm2Contract and entityTypeId", o)
			}
			last = id
		}
		n += len(items)
	}
	if n != 120 {
		t.Errorf("listed %d items, want 120", n)
	}
	fields := object(result(t, call("crm.item.fields", map[string]any{"entityTypeId": 129}))["fields"])
	for name, typ := range map[string]string{"ufCrm2Contract": "string", "ufCrm2_1747309727": "double", "ufCrm2Priority": "enumeration", "ufCrm2Budget": "money", "ufCrm2DueDate": "date", "ufCrm2Tags": "string", "ufCrm_2_FILE1": "file", "ufCrm2Link": "crm", "parentId2": "crm_entity", "observers": "user"} {
		if fmt.Sprint(object(fields[name])["type"]) != typ {
			t.Errorf("field %s = %v, want type %s", name, fields[name], typ)
		}
	}
	if !object(fields["ufCrm2Tags"])["isMultiple"].(bool) || len(list(object(fields["ufCrm2Priority"])["items"])) != 3 {
		t.Error("tags not multiple or priority without items")
	}
	orig := object(result(t, call("crm.item.get", map[string]any{"entityTypeId": 129, "id": 7, "useOriginalUfNames": "Y"}))["item"])
	if _, ok := orig["UF_CRM_2_CONTRACT"]; !ok {
		t.Errorf("useOriginalUfNames=Y item = %v", orig)
	}
	byUF := result(t, call("crm.item.list", map[string]any{"entityTypeId": 129, "useOriginalUfNames": "Y", "filter": map[string]any{"!UF_CRM_2_PRIORITY": ""}}))
	if len(list(byUF["items"])) == 0 {
		t.Error("no item filtered by an original user-field name")
	}
}

// 200,000 seeded items cost nothing until changed: listing and reading them
// leaves the stores empty, a change keeps one record.
func TestSeededSmartProcessesHoldNoItems(t *testing.T) {
	t.Parallel()
	_, p, call := spaCaller(t, Options{SmartProcesses: 20, SmartProcessItems: 10000})
	mustOK(t, call("crm.item.list", map[string]any{"entityTypeId": 147, "filter": map[string]any{">id": 9000}, "start": -1}))
	mustOK(t, call("crm.item.get", map[string]any{"entityTypeId": 128, "id": 10000}))
	held := func() (n int) {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, s := range p.crm {
			n += len(s.over) + len(s.deleted)
		}
		return n
	}
	if n := held(); n != 0 {
		t.Fatalf("the stores hold %d records after reads, want none", n)
	}
	mustOK(t, call("crm.item.update", map[string]any{"entityTypeId": 140, "id": 5000, "fields": map[string]any{"title": "changed"}}))
	if n := held(); n != 1 {
		t.Errorf("the stores hold %d records after one change, want 1", n)
	}
	if len(p.spas) != 20 {
		t.Errorf("%d smart processes, want 20", len(p.spas))
	}
}

// Estimates fire ONCRMQUOTE*; smart invoices the dynamic-item events with
// ENTITY_TYPE_ID 31 and no per-type variant.
func TestEstimateAndSmartInvoiceEvents(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	_, p, call := spaCaller(t, Options{Deals: 3, Quotes: 2})
	for _, e := range []string{"ONCRMQUOTEUPDATE", "ONCRMDYNAMICITEMADD"} {
		mustOK(t, call("event.bind", map[string]any{"event": e, "handler": h.URL}))
	}
	if a := call("event.bind", map[string]any{"event": "ONCRMDYNAMICITEMADD_31", "handler": h.URL}); a.errCode() != "ERROR_EVENT_NOT_FOUND" {
		t.Errorf("per-type smart invoice event = %d %s", a.status, a.raw)
	}
	q := object(result(t, call("crm.item.update", map[string]any{"entityTypeId": 7, "id": 2, "fields": map[string]any{"stageId": "APPROVED"}}))["item"])
	if q["stageId"] != "APPROVED" || q["closed"] != "Y" {
		t.Errorf("estimate = %v", q)
	}
	d := waitN(t, p, 1)[0]
	if d.Event != "ONCRMQUOTEUPDATE" || d.Body.Get("data[FIELDS][ID]") != "2" || d.Body.Has("data[FIELDS][ENTITY_TYPE_ID]") {
		t.Errorf("estimate update delivery = %s %v", d.Event, d.Body)
	}
	inv := object(result(t, call("crm.item.add", map[string]any{"entityTypeId": 31, "fields": map[string]any{"parentId2": 1, "opportunity": 100}}))["item"])
	if inv["stageId"] != "DT31_3:N" || fmt.Sprint(inv["parentId2"]) != "1" || fmt.Sprint(inv["opportunity"]) != "100" {
		t.Errorf("smart invoice = %v", inv)
	}
	d = waitN(t, p, 2)[1]
	if d.Event != "ONCRMDYNAMICITEMADD" || d.Body.Get("data[FIELDS][ENTITY_TYPE_ID]") != "31" {
		t.Errorf("smart invoice add delivery = %s %v", d.Event, d.Body)
	}
}

// The offline queue keeps ENTITY_TYPE_ID of dynamic-item events in their
// data and their MESSAGE_ID.
func TestOfflineSmartProcessEvents(t *testing.T) {
	t.Parallel()
	s, p, call := offlineCaller(t, Options{SmartProcesses: 1, SmartProcessItems: 3}, "ONCRMDYNAMICITEMUPDATE")
	// A webhook's write: the app's own writes skip its offline queue.
	mustOK(t, hookCall(t, s, p, "crm.item.update", map[string]any{"entityTypeId": 128, "id": 2, "fields": map[string]any{"title": "x"}}))
	recs := records(t, call("event.offline.get", nil))
	if len(recs) != 1 {
		t.Fatalf("records = %v", recs)
	}
	r := recs[0]
	fields := object(object(r["EVENT_DATA"])["FIELDS"])
	if r["EVENT_NAME"] != "ONCRMDYNAMICITEMUPDATE" || fields["ID"] != "2" || fields["ENTITY_TYPE_ID"] != "128" {
		t.Errorf("record = %v", r)
	}
	if m := md5Hex(`ONCRMDYNAMICITEMUPDATE|{"FIELDS":{"ID":"2","ENTITY_TYPE_ID":"128"}}`); r["MESSAGE_ID"] != m {
		t.Errorf("MESSAGE_ID = %v, want %s", r["MESSAGE_ID"], m)
	}
}

// Detail tabs and the other card placements exist for estimates, smart
// invoices and each smart process of the portal.
func TestTypePlacements(t *testing.T) {
	t.Parallel()
	_, p, call := spaCaller(t, Options{SmartProcesses: 1})
	for _, code := range []string{"CRM_DYNAMIC_128_DETAIL_TAB", "CRM_QUOTE_DETAIL_TAB", "CRM_SMART_INVOICE_DETAIL_TAB", "CRM_DYNAMIC_128_LIST_MENU"} {
		mustOK(t, call("placement.bind", map[string]any{"PLACEMENT": code, "HANDLER": "https://app.example/tab", "TITLE": "History"}))
	}
	for _, code := range []string{"CRM_DYNAMIC_129_DETAIL_TAB", "CRM_DYNAMIC_X_DETAIL_TAB", "CRM_SMART_INVOICE_SOMETHING"} {
		if a := call("placement.bind", map[string]any{"PLACEMENT": code, "HANDLER": "https://app.example/tab"}); a.errCode() != "ERROR_PLACEMENT_NOT_FOUND" {
			t.Errorf("%s = %d %s", code, a.status, a.raw)
		}
	}
	codes := list(mustOK(t, call("placement.list", nil)).body["result"])
	for _, want := range []string{"CRM_DEAL_DETAIL_TAB", "CRM_DYNAMIC_128_DETAIL_TAB", "CRM_QUOTE_DETAIL_TAB", "CRM_SMART_INVOICE_DETAIL_TAB"} {
		if !slices.Contains(codes, any(want)) {
			t.Errorf("placement.list lacks %s", want)
		}
	}
	if n := len(list(mustOK(t, call("placement.get", nil)).body["result"])); n != 4 {
		t.Errorf("placement.get lists %d, want 4", n)
	}
	mustOK(t, call("crm.type.add", map[string]any{"fields": map[string]any{"title": "Later"}}))
	mustOK(t, call("placement.bind", map[string]any{"PLACEMENT": "CRM_DYNAMIC_129_DETAIL_TAB", "HANDLER": "https://app.example/tab"}))
	if got := p.placementType("CRM_DYNAMIC_129_DETAIL_TAB"); got != 129 {
		t.Errorf("the tab's type = %d, want 129", got)
	}
}

// File fields take [name, base64] uploads, keep a file named by its id and
// clear on "".
func TestSmartProcessFileField(t *testing.T) {
	t.Parallel()
	_, _, call := spaCaller(t, Options{SmartProcesses: 1, SmartProcessItems: 1})
	up := func(v any) any {
		t.Helper()
		item := object(result(t, call("crm.item.update", map[string]any{"entityTypeId": 128, "id": 1, "fields": map[string]any{"ufCrm_1_FILE1": v}}))["item"])
		return item["ufCrm_1_FILE1"]
	}
	file := object(up([]string{"a.pdf", base64.StdEncoding.EncodeToString([]byte("%PDF"))}))
	if file["id"] == nil || file["url"] == "" || file["urlMachine"] == "" {
		t.Fatalf("uploaded file = %v", file)
	}
	id := file["id"]
	if kept := object(up(map[string]any{"id": id})); kept["id"] != id {
		t.Errorf("{id} of the held file = %v, want it kept", kept)
	}
	if cleared := up(""); cleared != nil {
		t.Errorf(`"" = %v, want null`, cleared)
	}
	if a := call("crm.item.update", map[string]any{"entityTypeId": 128, "id": 1, "fields": map[string]any{"ufCrm_1_FILE1": []string{"a.pdf", "not base64!"}}}); a.status != http.StatusBadRequest {
		t.Errorf("bad base64 = %d %s", a.status, a.raw)
	}
}

// Short codes name every type as ownerType and CRM-link values do.
func TestShortCodes(t *testing.T) {
	t.Parallel()
	for id, want := range map[int]string{1: "L", 2: "D", 3: "C", 4: "CO", 7: "Q", 31: "SI", 128: "T80", 156: "T9c", 1038: "T40e"} {
		if got := shortCode(id); got != want {
			t.Errorf("shortCode(%d) = %s, want %s", id, got, want)
		}
	}
	_, p, _ := spaCaller(t, Options{SmartProcesses: 1})
	p.mu.Lock()
	defer p.mu.Unlock()
	for code, want := range map[string]int{"D": 2, "CO": 4, "Q": 7, "SI": 31, "T80": 128, "T81": 0, "T080": 0, "TG": 0, "X": 0, "I": 0} {
		got := 0
		if et := p.crmTypeByCode(code); et != nil {
			got = et.id
		}
		if got != want {
			t.Errorf("crmTypeByCode(%s) = %d, want %d", code, got, want)
		}
	}
}

// Types and their user fields change while other calls read the items
// (run with -race): every read answers.
func TestTypeChangesWhileItemsAreRead(t *testing.T) {
	t.Parallel()
	app := testApp()
	app.Scopes = append(app.Scopes, "userfieldconfig")
	s, p, tok := installed(t, Options{App: app, SmartProcesses: 1, SmartProcessItems: 100, Limits: Limits{Unlimited: true}})
	call := func(m string, params map[string]any) answer { return appCall(t, s, p, tok.AccessToken, m, params) }
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			call("crm.type.update", map[string]any{"id": 1, "fields": map[string]any{"title": fmt.Sprint("T", i), "isObserversEnabled": i%2 == 0}})
			call("userfieldconfig.update", map[string]any{"moduleId": "crm", "id": 50001, "field": map[string]any{"editFormLabel": map[string]any{"en": fmt.Sprint("L", i)}}})
		}
	}()
	for range 20 {
		for _, m := range []string{"crm.item.list", "crm.item.fields", "crm.status.entity.types", "crm.category.list"} {
			if a := call(m, map[string]any{"entityTypeId": 128}); a.status != http.StatusOK {
				t.Errorf("%s = %d %s", m, a.status, a.raw)
			}
		}
		wantStatus(t, uiGet(t, s, p, "/crm/type/128/list/category/0/"), http.StatusOK)
	}
	<-done
}
