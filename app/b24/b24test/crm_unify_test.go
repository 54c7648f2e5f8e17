package b24test

import (
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

// dealsInPipeline are the first n seeded deals of a pipeline.
func dealsInPipeline(p *Portal, category string, n int) []int {
	var out []int
	for id := 1; id <= p.crm[2].g.count && len(out) < n; id++ {
		if genCategory(&p.crm[2].g, id) == category {
			out = append(out, id)
		}
	}
	return out
}

// changedKeys names the fields whose values differ between two reads.
func changedKeys(before, after map[string]any) []string {
	var out []string
	for k := range after {
		if !reflect.DeepEqual(before[k], after[k]) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Portal.MoveDeal (and its control endpoint) is crm.item.update with
// categoryId: both change the same fields to the same values, add the same
// stage-history row and send the same ONCRMDEALMOVETOCATEGORY.
func TestMoveDealIsItemUpdate(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := newHandler(t)
	s, p, tok := installed(t, Options{Deals: 60, Now: clk.Now})
	for _, ev := range []string{"ONCRMDEALUPDATE", "ONCRMDEALMOVETOCATEGORY"} {
		mustOK(t, appCall(t, s, p, tok.AccessToken, "event.bind", map[string]any{"event": ev, "handler": h.URL}))
	}
	ids := dealsInPipeline(p, "0", 2)
	if len(ids) < 2 {
		t.Fatal("fewer than two deals in pipeline 0")
	}
	viaMove, viaItem := ids[0], ids[1]
	beforeMove, _ := p.Record("deal", viaMove)
	beforeItem, _ := p.Record("deal", viaItem)

	if err := p.MoveDeal(viaMove, 1, "", p.AdminID()); err != nil {
		t.Fatal(err)
	}
	mustOK(t, appCall(t, s, p, tok.AccessToken, "crm.item.update", map[string]any{"entityTypeId": 2, "id": viaItem, "fields": map[string]any{"categoryId": 1}}))

	afterMove, _ := p.Record("deal", viaMove)
	afterItem, _ := p.Record("deal", viaItem)
	if a, b := changedKeys(beforeMove, afterMove), changedKeys(beforeItem, afterItem); !slices.Equal(a, b) {
		t.Errorf("MoveDeal changed %v, crm.item.update %v", a, b)
	}
	for _, k := range changedKeys(beforeItem, afterItem) {
		if !reflect.DeepEqual(afterMove[k], afterItem[k]) {
			t.Errorf("%s: MoveDeal wrote %v, crm.item.update %v", k, afterMove[k], afterItem[k])
		}
	}
	if afterMove["CATEGORY_ID"] != "1" || afterMove["STAGE_ID"] != "C1:NEW" {
		t.Errorf("moved deal stands in %v %v", afterMove["CATEGORY_ID"], afterMove["STAGE_ID"])
	}

	rowMove, rowItem := ownerHistory(t, s, p, 2, viaMove), ownerHistory(t, s, p, 2, viaItem)
	if len(rowMove) != 1 || len(rowItem) != 1 {
		t.Fatalf("history after the move: MoveDeal %v, crm.item.update %v", rowMove, rowItem)
	}
	strip := func(r map[string]any) map[string]any {
		r = maps.Clone(r)
		delete(r, "ID")
		delete(r, "OWNER_ID")
		return r
	}
	if a, b := strip(rowMove[0]), strip(rowItem[0]); !reflect.DeepEqual(a, b) || intOf(a["TYPE_ID"]) != stagePipeline {
		t.Errorf("history rows differ: MoveDeal %v, crm.item.update %v", a, b)
	}

	// Deliveries are sent in parallel: they may arrive in either order.
	ds := waitN(t, p, 2)
	var named []string
	for i, d := range ds {
		named = append(named, d.Body.Get("data[FIELDS][ID]"))
		if d.Event != "ONCRMDEALMOVETOCATEGORY" || d.Body.Get("data[FIELDS][CATEGORY_ID]") != "1" || d.Body.Get("data[FIELDS][STAGE_ID]") != "C1:NEW" {
			t.Errorf("delivery %d = %s %v", i, d.Event, d.Body)
		}
	}
	slices.Sort(named)
	want := []string{strconv.Itoa(viaMove), strconv.Itoa(viaItem)}
	slices.Sort(want)
	if !slices.Equal(named, want) {
		t.Errorf("deliveries name deals %v, want %v", named, want)
	}
	if a, b := formKeys(ds[0]), formKeys(ds[1]); !slices.Equal(a, b) {
		t.Errorf("the two deliveries carry different keys: %v and %v", a, b)
	}

	// Refusals change nothing: the same pipeline, a stage of another one,
	// an unknown pipeline.
	for _, c := range []struct {
		category int
		stage    string
	}{{1, ""}, {2, "C1:WON"}, {7, ""}} {
		if err := p.MoveDeal(viaMove, c.category, c.stage, p.AdminID()); err == nil {
			t.Errorf("MoveDeal(%d, %q) was taken", c.category, c.stage)
		}
	}
	if got, _ := p.Record("deal", viaMove); !reflect.DeepEqual(got, afterMove) {
		t.Errorf("a refused move changed the deal: %v", changedKeys(afterMove, got))
	}
}

func formKeys(d Delivery) []string {
	keys := slices.Collect(maps.Keys(d.Body))
	slices.Sort(keys)
	return keys
}

// The legacy crm.deal.update keeps CATEGORY_ID immutable: the deal stays in
// its pipeline and stage, no pipeline row is added and the update is an
// ordinary ONCRMDEALUPDATE.
func TestLegacyDealUpdateIgnoresCategory(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	s, p, tok := installed(t, Options{Deals: 30})
	mustOK(t, appCall(t, s, p, tok.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALMOVETOCATEGORY", "handler": h.URL}))
	mustOK(t, appCall(t, s, p, tok.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALUPDATE", "handler": h.URL}))
	id := dealsInPipeline(p, "0", 1)[0]
	before, _ := p.Record("deal", id)
	rows := ownerHistory(t, s, p, 2, id)
	mustOK(t, hookCall(t, s, p, "crm.deal.update", map[string]any{"id": id, "fields": map[string]any{"CATEGORY_ID": 1, "TITLE": "kept in place"}}))
	after, _ := p.Record("deal", id)
	if after["CATEGORY_ID"] != before["CATEGORY_ID"] || after["STAGE_ID"] != before["STAGE_ID"] || after["TITLE"] != "kept in place" {
		t.Errorf("after a legacy update with CATEGORY_ID: pipeline %v, stage %v, title %v", after["CATEGORY_ID"], after["STAGE_ID"], after["TITLE"])
	}
	if got := ownerHistory(t, s, p, 2, id); !reflect.DeepEqual(got, rows) {
		t.Errorf("history changed: %v, was %v", got, rows)
	}
	if d := waitN(t, p, 1)[0]; d.Event != "ONCRMDEALUPDATE" {
		t.Errorf("legacy update sent %s", d.Event)
	}
}

// readItem reads one crm.item of any type with the admin's token.
func readItem(t *testing.T, call func(string, map[string]any) answer, entityTypeID, id int) map[string]any {
	t.Helper()
	return object(result(t, call("crm.item.get", map[string]any{"entityTypeId": entityTypeID, "id": id}))["item"])
}

// Seeded smart-process items and smart invoices have a generated past like
// deals: created in the first stage of their pipeline, ending in their
// stage at their movedTime.
func TestStageHistoryOfSeededKinds(t *testing.T) {
	t.Parallel()
	s, p, call := spaCaller(t, Options{SmartProcesses: 1, SmartProcessItems: 40, SmartInvoices: 40, Limits: Limits{Unlimited: true}})
	for _, typeID := range []int{128, typeSmartInvoice} {
		p.mu.Lock()
		et := p.crmType(typeID)
		p.mu.Unlock()
		moved := 0
		for id := 1; id <= 40; id++ {
			item := readItem(t, call, typeID, id)
			rows := ownerHistory(t, s, p, typeID, id)
			if len(rows) == 0 {
				t.Fatalf("type %d item %d has no history", typeID, id)
			}
			pl, _ := pipelineOf(et, intOf(item["categoryId"]))
			first, last := rows[0], rows[len(rows)-1]
			if intOf(first["TYPE_ID"]) != stageCreated || first["STAGE_ID"] != pl.stages[0].statusID || first["CREATED_TIME"] != item["createdTime"] {
				t.Errorf("type %d item %d: first row %v, item created %v in pipeline %d", typeID, id, first, item["createdTime"], pl.id)
			}
			if last["STAGE_ID"] != item["stageId"] || intOf(last["CATEGORY_ID"]) != intOf(item["categoryId"]) || last["STAGE_SEMANTIC_ID"] != kindSemantic(et, str(item["stageId"])) {
				t.Errorf("type %d item %d: last row %v, item in %v/%v", typeID, id, last, item["categoryId"], item["stageId"])
			}
			if len(rows) > 1 {
				moved++
				if last["CREATED_TIME"] != item["movedTime"] {
					t.Errorf("type %d item %d: last move at %v, movedTime %v", typeID, id, last["CREATED_TIME"], item["movedTime"])
				}
			}
		}
		if moved == 0 {
			t.Errorf("no seeded item of type %d ever moved", typeID)
		}
	}
	if a := hookCall(t, s, p, "crm.stagehistory.list", map[string]any{"entityTypeId": typeQuote}); a.errCode() != "ENTITY_TYPE_NOT_SUPPORTED" {
		t.Errorf("estimates' history = %d %s", a.status, a.raw)
	}
}

// A smart-process item's history follows its writes: created, moved to a
// stage, moved to another pipeline (only that pipeline's rows are listed
// then), and the move is an ONCRMDYNAMICITEMUPDATE.
func TestStageHistoryOfSmartProcessItem(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	clk := newClock()
	s, p, call := spaCaller(t, Options{SmartProcesses: 1, Now: clk.Now})
	mustOK(t, call("event.bind", map[string]any{"event": "ONCRMDYNAMICITEMUPDATE", "handler": h.URL}))
	item := object(result(t, call("crm.item.add", map[string]any{"entityTypeId": 128, "fields": map[string]any{"title": "walks"}}))["item"])
	id := intOf(item["id"])
	if rows := ownerHistory(t, s, p, 128, id); len(rows) != 1 || intOf(rows[0]["TYPE_ID"]) != stageCreated || rows[0]["STAGE_ID"] != "DT128_10:NEW" {
		t.Fatalf("history of a new item = %v", rows)
	}
	clk.Add(time.Minute)
	mustOK(t, call("crm.item.update", map[string]any{"entityTypeId": 128, "id": id, "fields": map[string]any{"stageId": "DT128_10:PREPARATION"}}))
	clk.Add(time.Minute)
	mustOK(t, call("crm.item.update", map[string]any{"entityTypeId": 128, "id": id, "fields": map[string]any{"title": "no move"}}))
	mustOK(t, call("crm.item.update", map[string]any{"entityTypeId": 128, "id": id, "fields": map[string]any{"stageId": "DT128_10:SUCCESS"}}))
	rows := ownerHistory(t, s, p, 128, id)
	if got := []int{intOf(rows[0]["TYPE_ID"]), intOf(rows[1]["TYPE_ID"]), intOf(rows[2]["TYPE_ID"])}; len(rows) != 3 || !slices.Equal(got, []int{stageCreated, stageMoved, stageFinal}) || rows[2]["STAGE_SEMANTIC_ID"] != "S" {
		t.Errorf("history in pipeline 10 = %v", rows)
	}
	mustOK(t, call("crm.item.update", map[string]any{"entityTypeId": 128, "id": id, "fields": map[string]any{"categoryId": 11}}))
	moved := readItem(t, call, 128, id)
	rows = ownerHistory(t, s, p, 128, id)
	if len(rows) != 1 || intOf(rows[0]["TYPE_ID"]) != stagePipeline || intOf(rows[0]["CATEGORY_ID"]) != 11 || rows[0]["STAGE_ID"] != "DT128_11:NEW" || rows[0]["CREATED_TIME"] != moved["movedTime"] {
		t.Errorf("history after the pipeline move = %v (item %v %v)", rows, moved["stageId"], moved["movedTime"])
	}
	for _, d := range waitN(t, p, 4) {
		if d.Event != "ONCRMDYNAMICITEMUPDATE" || d.Body.Get("data[FIELDS][ENTITY_TYPE_ID]") != "128" || d.Body.Get("data[FIELDS][ID]") != strconv.Itoa(id) {
			t.Errorf("an update or the move sent %s %v", d.Event, d.Body)
		}
	}
}

// Estimates, smart invoices and smart-process items carry product rows
// like deals: a row change recomputes the owner's amount and saves it, and
// fires the owner's own update event (ONCRMQUOTEUPDATE,
// ONCRMDYNAMICITEMUPDATE with _{entityTypeId} for a smart process).
func TestProductRowsOnEveryType(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := newHandler(t)
	_, p, call := spaCaller(t, Options{SmartProcesses: 1, Now: clk.Now})
	for _, ev := range []string{"ONCRMQUOTEUPDATE", "ONCRMDYNAMICITEMUPDATE", "ONCRMDYNAMICITEMUPDATE_128"} {
		mustOK(t, call("event.bind", map[string]any{"event": ev, "handler": h.URL}))
	}
	cases := []struct {
		typeID int
		code   string
		events []string
	}{
		{typeQuote, "Q", []string{"ONCRMQUOTEUPDATE"}},
		{typeSmartInvoice, "SI", []string{"ONCRMDYNAMICITEMUPDATE"}},
		{128, "T80", []string{"ONCRMDYNAMICITEMUPDATE", "ONCRMDYNAMICITEMUPDATE_128"}},
	}
	seen := 0
	for _, c := range cases {
		id := intOf(object(result(t, call("crm.item.add", map[string]any{"entityTypeId": c.typeID, "fields": map[string]any{"title": "with rows"}}))["item"])["id"])
		clk.Add(time.Minute)
		row := rowResult(mustOK(t, call("crm.item.productrow.add", map[string]any{"fields": map[string]any{
			"ownerType": c.code, "ownerId": id, "productName": "Support", "price": 120, "quantity": 2, "taxRate": 20, "taxIncluded": "Y",
		}})), "productRow")
		if row["ownerType"] != c.code || intOf(row["ownerId"]) != id {
			t.Errorf("type %d: row = %v", c.typeID, row)
		}
		mustOK(t, call("crm.item.productrow.add", map[string]any{"fields": map[string]any{"ownerType": c.code, "ownerId": id, "productName": "Setup", "price": 10}}))
		item := readItem(t, call, c.typeID, id)
		if num(t, item["opportunity"]) != 250 || num(t, item["taxValue"]) != 40 || item["updatedTime"] != p.formatTime(clk.Now()) {
			t.Errorf("type %d after two rows: opportunity %v taxValue %v updatedTime %v", c.typeID, item["opportunity"], item["taxValue"], item["updatedTime"])
		}
		listed := rowsResult(mustOK(t, call("crm.item.productrow.list", map[string]any{"filter": map[string]any{"=ownerType": c.code, "=ownerId": id}})))
		if len(listed) != 2 {
			t.Errorf("type %d lists %d rows", c.typeID, len(listed))
		}
		got := rowResult(mustOK(t, call("crm.item.productrow.get", map[string]any{"id": row["id"]})), "productRow")
		if got["productName"] != "Support" || got["ownerType"] != c.code {
			t.Errorf("type %d: get of its row = %v", c.typeID, got)
		}
		mustOK(t, call("crm.item.productrow.delete", map[string]any{"id": row["id"]}))
		if item := readItem(t, call, c.typeID, id); num(t, item["opportunity"]) != 10 || num(t, item["taxValue"]) != 0 {
			t.Errorf("type %d after the delete: opportunity %v taxValue %v", c.typeID, item["opportunity"], item["taxValue"])
		}
		seen += 3 * len(c.events)
		ds := waitN(t, p, seen)
		var names []string
		for _, d := range ds[seen-3*len(c.events):] {
			if d.Body.Get("data[FIELDS][ID]") != strconv.Itoa(id) {
				t.Errorf("type %d: %s names item %s", c.typeID, d.Event, d.Body.Get("data[FIELDS][ID]"))
			}
			if !slices.Contains(names, d.Event) {
				names = append(names, d.Event)
			}
		}
		slices.Sort(names)
		if !slices.Equal(names, c.events) {
			t.Errorf("type %d: row changes fired %v, want %v", c.typeID, names, c.events)
		}
	}
}

// Seeded estimates, smart invoices and smart-process items have generated
// rows that add up to their amount unless it is manual; their ids lead
// back to them, and a smart process without products has none.
func TestGeneratedRowsOfEveryType(t *testing.T) {
	t.Parallel()
	_, _, call := spaCaller(t, Options{SmartProcesses: 2, SmartProcessItems: 30, Quotes: 30, SmartInvoices: 30, Deals: 30, Limits: Limits{Unlimited: true}})
	for _, c := range []struct {
		typeID int
		code   string
	}{{typeQuote, "Q"}, {typeSmartInvoice, "SI"}, {128, "T80"}, {129, "T81"}, {2, "D"}} {
		withRows := 0
		for id := 1; id <= 30; id++ {
			rows := rowsResult(mustOK(t, call("crm.item.productrow.list", map[string]any{"filter": map[string]any{"=ownerType": c.code, "=ownerId": id}})))
			if len(rows) == 0 {
				continue
			}
			withRows++
			item := readItem(t, call, c.typeID, id)
			sum, tax := 0.0, 0.0
			for _, r := range rows {
				r := object(r)
				sum += num(t, r["price"]) * num(t, r["quantity"])
				tax += (num(t, r["price"]) - num(t, r["priceExclusive"])) * num(t, r["quantity"])
				again := rowResult(mustOK(t, call("crm.item.productrow.get", map[string]any{"id": r["id"]})), "productRow")
				if again["ownerType"] != c.code || intOf(again["ownerId"]) != id || !reflect.DeepEqual(again, r) {
					t.Errorf("type %d item %d: row %v reads back as %v", c.typeID, id, r, again)
				}
			}
			if item["isManualOpportunity"] == "Y" {
				continue
			}
			if diff := sum - num(t, item["opportunity"]); diff > 0.005 || diff < -0.005 {
				t.Errorf("type %d item %d: rows add up to %.2f, opportunity %v", c.typeID, id, sum, item["opportunity"])
			}
			if diff := tax - num(t, item["taxValue"]); diff > 0.05 || diff < -0.05 {
				t.Errorf("type %d item %d: rows' tax %.2f, taxValue %v", c.typeID, id, tax, item["taxValue"])
			}
		}
		if withRows == 0 {
			t.Errorf("no seeded item of type %d has rows", c.typeID)
		}
	}
	// A smart process without products: its items carry no rows.
	typ := object(result(t, call("crm.type.add", map[string]any{"fields": map[string]any{"title": "No products", "isLinkWithProductsEnabled": "N"}}))["type"])
	code := shortCode(intOf(typ["entityTypeId"]))
	a := call("crm.item.productrow.list", map[string]any{"filter": map[string]any{"=ownerType": code, "=ownerId": 1}})
	if a.errCode() != "ENTITY_TYPE_NOT_SUPPORTED" {
		t.Errorf("rows of a smart process without products = %d %s", a.status, a.raw)
	}
}

// crm.quote.contact.* bind contacts to an estimate as the deal's methods
// do: the estimate's contactIds and contactId follow, and a change is an
// update of the estimate (ONCRMQUOTEUPDATE).
func TestQuoteContactBindings(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	_, p, call := spaCaller(t, Options{Contacts: 10, Quotes: 3})
	mustOK(t, call("event.bind", map[string]any{"event": "ONCRMQUOTEUPDATE", "handler": h.URL}))
	quote := intOf(object(result(t, call("crm.item.add", map[string]any{"entityTypeId": typeQuote, "fields": map[string]any{"title": "links"}}))["item"])["id"])
	items := func() string {
		return linkRows(t, call("crm.quote.contact.items.get", map[string]any{"id": quote}), "CONTACT_ID")
	}
	if got := items(); got != "[]" {
		t.Fatalf("a new estimate has contacts %s", got)
	}
	fields := result(t, call("crm.quote.contact.fields", nil))
	if object(fields["CONTACT_ID"])["isRequired"] != true {
		t.Errorf("crm.quote.contact.fields = %v", fields)
	}
	mustOK(t, call("crm.quote.contact.add", map[string]any{"id": quote, "fields": map[string]any{"CONTACT_ID": 3}}))
	mustOK(t, call("crm.quote.contact.add", map[string]any{"id": quote, "fields": map[string]any{"CONTACT_ID": 5, "IS_PRIMARY": "Y"}}))
	if got := items(); got != "[3:10:N 5:20:Y]" {
		t.Errorf("after two adds: %s", got)
	}
	item := readItem(t, call, typeQuote, quote)
	if fmt.Sprint(item["contactIds"]) != "[3 5]" || intOf(item["contactId"]) != 5 {
		t.Errorf("estimate contactIds %v contactId %v", item["contactIds"], item["contactId"])
	}
	mustOK(t, call("crm.quote.contact.items.set", map[string]any{"id": quote, "items": []any{map[string]any{"CONTACT_ID": 7}}}))
	if got := items(); got != "[7:10:Y]" {
		t.Errorf("after items.set: %s", got)
	}
	mustOK(t, call("crm.quote.contact.delete", map[string]any{"id": quote, "fields": map[string]any{"CONTACT_ID": 7}}))
	if got := items(); got != "[]" {
		t.Errorf("after delete: %s", got)
	}
	if a := call("crm.quote.contact.items.get", map[string]any{"id": 999}); a.status != http.StatusBadRequest {
		t.Errorf("items.get of a missing estimate = %d %s", a.status, a.raw)
	}
	ds := waitN(t, p, 4)
	for _, d := range ds {
		if d.Event != "ONCRMQUOTEUPDATE" || d.Body.Get("data[FIELDS][ID]") != strconv.Itoa(quote) {
			t.Errorf("binding change sent %s %v", d.Event, d.Body)
		}
	}
}

// A smart process's parentId2 is one value whichever way it is read:
// crm.item.get, crm.item.list's filter and select, and the legacy form of
// the Go API; it names an existing deal or is null.
func TestSmartProcessParentLinks(t *testing.T) {
	t.Parallel()
	_, p, call := spaCaller(t, Options{Deals: 8, SmartProcesses: 1, SmartProcessItems: 40, SmartInvoices: 10, Limits: Limits{Unlimited: true}})
	fields := object(result(t, call("crm.item.fields", map[string]any{"entityTypeId": 128}))["fields"])
	if f := object(fields["parentId2"]); f["upperName"] != "PARENT_ID_2" || f["type"] != "crm_entity" || fmt.Sprint(object(f["settings"])["parentEntityTypeId"]) != "2" {
		t.Errorf("parentId2 = %v", f)
	}
	byParent := map[int][]int{}
	for id := 1; id <= 40; id++ {
		item := readItem(t, call, 128, id)
		v := item["parentId2"]
		if v == nil {
			continue
		}
		deal := intOf(v)
		if deal < 1 || deal > 8 {
			t.Errorf("item %d: parentId2 = %v", id, v)
		}
		byParent[deal] = append(byParent[deal], id)
		if rec, _ := p.Record("dynamic_128", id); rec["PARENT_ID_2"] != strconv.Itoa(deal) {
			t.Errorf("item %d: legacy PARENT_ID_2 = %v, crm.item %v", id, rec["PARENT_ID_2"], deal)
		}
	}
	if len(byParent) == 0 {
		t.Fatal("no seeded item has a parent deal")
	}
	for deal, want := range byParent {
		var got []int
		for _, it := range list(result(t, call("crm.item.list", map[string]any{"entityTypeId": 128, "filter": map[string]any{"parentId2": deal}, "select": []string{"id", "parentId2"}}))["items"]) {
			got = append(got, intOf(object(it)["id"]))
			if intOf(object(it)["parentId2"]) != deal {
				t.Errorf("filter parentId2=%d listed %v", deal, it)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("filter parentId2=%d lists %v, get says %v", deal, got, want)
		}
	}
	item := object(result(t, call("crm.item.update", map[string]any{"entityTypeId": 128, "id": 1, "fields": map[string]any{"parentId2": 8}}))["item"])
	if intOf(item["parentId2"]) != 8 || intOf(readItem(t, call, 128, 1)["parentId2"]) != 8 {
		t.Errorf("parentId2 after the update = %v", item["parentId2"])
	}
	inv := readItem(t, call, typeSmartInvoice, 1)
	for _, k := range []string{"parentId2", "parentId7"} {
		if _, ok := inv[k]; !ok {
			t.Errorf("a smart invoice lacks %s: %v", k, inv)
		}
	}
}

// A smart process's file field is served by the deals' download code:
// uploaded and seeded files download with an access token of the portal,
// not without one, and not for a user who may not read the item; the
// control API attaches files to it by type name.
func TestSmartProcessFileDownload(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{SmartProcesses: 1, SmartProcessItems: 60, Limits: Limits{Unlimited: true}})
	call := func(m string, params map[string]any) answer { return appCall(t, s, p, tok.AccessToken, m, params) }
	item := object(result(t, call("crm.item.update", map[string]any{"entityTypeId": 128, "id": 2, "fields": map[string]any{"ufCrm_1_FILE1": []string{"plan.txt", b64("the plan")}}}))["item"])
	file := object(item["ufCrm_1_FILE1"])
	for _, k := range []string{"url", "urlMachine"} {
		u := str(file[k])
		if k == "url" {
			u = withAuth(u, tok.AccessToken)
		}
		status, body, hdr := download(t, s, u)
		if status != http.StatusOK || body != "the plan" || hdr.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%s: %d %q %v", k, status, body, hdr)
		}
	}
	if status, _, _ := download(t, s, str(file["url"])); status != http.StatusUnauthorized {
		t.Errorf("url without auth = %d", status)
	}
	// User 4 reads only items assigned to them.
	other, err := p.IssueTokens(4)
	if err != nil {
		t.Fatal(err)
	}
	if assigned := intOf(item["assignedById"]); assigned != 4 {
		if status, _, _ := download(t, s, withAuth(str(file["url"]), other.AccessToken)); status != http.StatusForbidden {
			t.Errorf("a user who may not read the item downloads with %d", status)
		}
	}

	// A seeded item's file is made from the seed, the same on every read.
	seeded := 0
	for id := 3; id <= 60; id++ {
		f := readItem(t, call, 128, id)["ufCrm_1_FILE1"]
		if f == nil {
			continue
		}
		seeded++
		u := withAuth(str(object(f)["url"]), tok.AccessToken)
		status, body, _ := download(t, s, u)
		_, again, _ := download(t, s, u)
		if status != http.StatusOK || body == "" || body != again {
			t.Errorf("seeded file of item %d: %d, %d bytes, stable %v", id, status, len(body), body == again)
		}
	}
	if seeded == 0 {
		t.Error("no seeded item has a file")
	}

	fileID, err := p.AttachFile("dynamic_128", 2, p.AdminID(), "UF_CRM_1_FILE1", "note.txt", []byte("attached"))
	if err != nil {
		t.Fatal(err)
	}
	got := object(readItem(t, call, 128, 2)["ufCrm_1_FILE1"])
	if intOf(got["id"]) != fileID {
		t.Errorf("after AttachFile the field holds %v, want %d", got["id"], fileID)
	}
	if status, body, _ := download(t, s, withAuth(str(got["url"]), tok.AccessToken)); status != http.StatusOK || body != "attached" {
		t.Errorf("attached file: %d %q", status, body)
	}
}

// A smart invoice's file field downloads as a deal's does, seeded and
// uploaded files alike.
func TestSmartInvoiceFileDownload(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{SmartInvoices: 40, Limits: Limits{Unlimited: true}})
	call := func(m string, params map[string]any) answer { return appCall(t, s, p, tok.AccessToken, m, params) }
	const name = "ufCrm_SMART_INVOICE_1700000051"
	item := object(result(t, call("crm.item.update", map[string]any{"entityTypeId": typeSmartInvoice, "id": 1, "fields": map[string]any{name: []string{"signed.pdf", b64("%PDF-1.4")}}}))["item"])
	file := object(item[name])
	if status, body, hdr := download(t, s, str(file["urlMachine"])); status != http.StatusOK || body != "%PDF-1.4" || hdr.Get("Content-Type") != "application/pdf" {
		t.Errorf("uploaded invoice file: %d %q %v", status, body, hdr)
	}
	if status, _, _ := download(t, s, str(file["url"])); status != http.StatusUnauthorized {
		t.Errorf("url without auth = %d", status)
	}
	seeded := 0
	for id := 2; id <= 40; id++ {
		f := readItem(t, call, typeSmartInvoice, id)[name]
		if f == nil {
			continue
		}
		seeded++
		if status, body, _ := download(t, s, withAuth(str(object(f)["url"]), tok.AccessToken)); status != http.StatusOK || body == "" {
			t.Errorf("seeded file of invoice %d: %d, %d bytes", id, status, len(body))
		}
	}
	if seeded == 0 {
		t.Error("no seeded invoice has a file")
	}
}

// The Go API reads and writes the rows of every type that has them, not
// only deals and leads, without locking itself out.
func TestGoAPIProductRowsOfEveryType(t *testing.T) {
	t.Parallel()
	_, p, _ := spaCaller(t, Options{Quotes: 2, SmartInvoices: 2, SmartProcesses: 1, SmartProcessItems: 2})
	for _, entity := range []string{"quote", "smart_invoice", "dynamic_128"} {
		done := make(chan error, 1)
		go func() {
			if err := p.SetProductRows(entity, 1, p.AdminID(), []map[string]any{{"PRODUCT_NAME": "Desk", "PRICE": 5, "QUANTITY": 2}}); err != nil {
				done <- err
				return
			}
			rows, ok := p.ProductRows(entity, 1)
			if !ok || len(rows) != 1 || rows[0]["PRODUCT_NAME"] != "Desk" {
				done <- fmt.Errorf("rows = %v, %v", rows, ok)
				return
			}
			done <- nil
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", entity, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the Go API's row methods never returned (the portal's lock is taken twice)", entity)
		}
	}
}
