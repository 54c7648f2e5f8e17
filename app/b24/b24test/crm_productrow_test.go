package b24test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

// num reads a JSON number (or a numeric string) of an answer.
func num(t *testing.T, v any) float64 {
	t.Helper()
	var s string
	switch x := v.(type) {
	case json.Number:
		s = x.String()
	case string:
		s = x
	case float64:
		return x
	default:
		t.Fatalf("%#v is not a number", v)
	}
	var f float64
	if _, err := fmt.Sscan(s, &f); err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return f
}

func rowResult(a answer, key string) map[string]any {
	return object(object(a.body["result"])[key])
}

func rowsResult(a answer) []any { return list(object(a.body["result"])["productRows"]) }

// newDeal adds a deal with no rows, its amount not manual.
func newDeal(t *testing.T, p *Portal) int {
	t.Helper()
	id, err := p.AddRecord("deal", p.AdminID(), map[string]any{"TITLE": "Rows"})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestProductRowFieldsDescribeEveryField(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{})
	p := s.Portals()[0]
	fields := object(object(mustOK(t, hookCall(t, s, p, "crm.item.productrow.fields", nil)).body["result"])["fields"])
	want := []string{"id", "ownerId", "ownerType", "productId", "productName", "price", "priceAccount", "priceExclusive",
		"priceNetto", "priceBrutto", "quantity", "discountTypeId", "discountRate", "discountSum", "taxRate", "taxIncluded",
		"customized", "measureCode", "measureName", "sort", "xmlId", "type", "storeId"}
	if len(fields) != len(want) {
		t.Errorf("%d fields, want %d", len(fields), len(want))
	}
	for _, name := range want {
		if fields[name] == nil {
			t.Errorf("no descriptor for %s", name)
		}
	}
	for name, flag := range map[string]string{"id": "isReadOnly", "priceExclusive": "isReadOnly", "priceNetto": "isReadOnly",
		"priceBrutto": "isReadOnly", "ownerType": "isImmutable", "ownerId": "isRequired", "productId": "isRequired"} {
		if object(fields[name])[flag] != true {
			t.Errorf("%s.%s = %v, want true", name, flag, object(fields[name])[flag])
		}
	}
	if object(fields["price"])["isReadOnly"] != false || object(fields["price"])["type"] != "double" {
		t.Errorf("price = %v", fields["price"])
	}
}

// The figures of the documented example: a price of 90000 with 10 % tax
// included and a 10 % discount.
func TestProductRowAddComputesPricesAndAmount(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{})
	p := s.Portals()[0]
	deal := newDeal(t, p)
	a := mustOK(t, hookCall(t, s, p, "crm.item.productrow.add", map[string]any{"fields": map[string]any{
		"ownerType": "D", "ownerId": deal, "productId": 417, "price": 90000, "quantity": 3,
		"discountTypeId": 2, "discountRate": 10, "taxRate": 10, "taxIncluded": "Y",
	}}))
	r := rowResult(a, "productRow")
	want := map[string]float64{"price": 90000, "priceAccount": 90000, "priceExclusive": 81818.18, "priceNetto": 90909.09,
		"priceBrutto": 100000, "quantity": 3, "discountTypeId": 2, "discountRate": 10, "discountSum": 9090.91,
		"taxRate": 10, "measureCode": 796, "type": 1, "ownerId": float64(deal), "productId": 417}
	for k, v := range want {
		if got := num(t, r[k]); math.Abs(got-v) > 0.001 {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	if r["productName"] != "Software license" || r["measureName"] != "pcs" || r["ownerType"] != "D" || r["taxIncluded"] != "Y" {
		t.Errorf("row = %v", r)
	}
	if _, ok := r["id"].(json.Number); !ok {
		t.Errorf("id = %#v, want a number", r["id"])
	}

	// An absolute discount: 80 paid of 100, no tax.
	b := mustOK(t, hookCall(t, s, p, "crm.item.productrow.add", map[string]any{"fields": map[string]any{
		"ownerType": "D", "ownerId": deal, "productName": "Setup", "price": 80, "discountTypeId": 1, "discountSum": 20,
	}}))
	r = rowResult(b, "productRow")
	for k, v := range map[string]float64{"priceExclusive": 80, "priceNetto": 100, "priceBrutto": 100, "discountRate": 20, "discountSum": 20, "quantity": 1} {
		if got := num(t, r[k]); math.Abs(got-v) > 0.001 {
			t.Errorf("absolute discount: %s = %v, want %v", k, got, v)
		}
	}
	if r["taxRate"] != nil || r["taxIncluded"] != "N" || r["productId"] != json.Number("0") {
		t.Errorf("free-text row = %v", r)
	}

	rec, _ := p.Record("deal", deal)
	// 3 × 90000 + 80; the tax in 270000 at 10 % is 24545.45.
	if rec["OPPORTUNITY"] != "270080.00" || rec["TAX_VALUE"] != "24545.45" {
		t.Errorf("deal OPPORTUNITY %v TAX_VALUE %v, want 270080.00 and 24545.45", rec["OPPORTUNITY"], rec["TAX_VALUE"])
	}
}

func TestProductRowErrors(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 5, Contacts: 3})
	p := s.Portals()[0]
	deal := newDeal(t, p)
	gone := newDeal(t, p)
	if err := p.DeleteRecord("deal", gone, p.AdminID()); err != nil {
		t.Fatal(err)
	}
	row := rowResult(mustOK(t, hookCall(t, s, p, "crm.item.productrow.add", map[string]any{"fields": map[string]any{
		"ownerType": "D", "ownerId": deal, "productId": 401, "price": 100}})), "productRow")
	rowID := row["id"]
	before, _ := p.Record("deal", deal)
	add := func(f map[string]any) map[string]any { return map[string]any{"fields": f} }
	cases := []struct {
		name, method string
		params       map[string]any
		code, desc   string
	}{
		{"add without fields", "crm.item.productrow.add", nil, "100", ""},
		{"add without owner type", "crm.item.productrow.add", add(map[string]any{"ownerId": deal}), "100", ""},
		{"add to a contact", "crm.item.productrow.add", add(map[string]any{"ownerType": "C", "ownerId": 1}), "ENTITY_TYPE_NOT_SUPPORTED", "Working with this type of objects is not supported"},
		{"add to an unknown type", "crm.item.productrow.add", add(map[string]any{"ownerType": "ZZ", "ownerId": 1}), "ENTITY_TYPE_NOT_SUPPORTED", ""},
		{"add to an unknown deal", "crm.item.productrow.add", add(map[string]any{"ownerType": "D", "ownerId": 9999}), "OWNER_NOT_FOUND", "Owner was not found"},
		{"add to a deleted deal", "crm.item.productrow.add", add(map[string]any{"ownerType": "D", "ownerId": gone}), "OWNER_NOT_FOUND", ""},
		{"add a bad price", "crm.item.productrow.add", add(map[string]any{"ownerType": "D", "ownerId": deal, "price": "ten"}), "INVALID_ARG_VALUE", ""},
		{"add a bad discount type", "crm.item.productrow.add", add(map[string]any{"ownerType": "D", "ownerId": deal, "discountTypeId": 3}), "INVALID_ARG_VALUE", ""},
		{"add a discount over 100 %", "crm.item.productrow.add", add(map[string]any{"ownerType": "D", "ownerId": deal, "discountRate": 150}), "INVALID_ARG_VALUE", ""},
		{"get an unknown row", "crm.item.productrow.get", map[string]any{"id": 987654321}, "NOT_FOUND", "Item not found"},
		{"get without id", "crm.item.productrow.get", nil, "100", ""},
		{"update the owner", "crm.item.productrow.update", map[string]any{"id": rowID, "fields": map[string]any{"ownerId": 1}}, "INVALID_ARG_VALUE", "Unknown field or the provided field is not available for update"},
		{"update an unknown field", "crm.item.productrow.update", map[string]any{"id": rowID, "fields": map[string]any{"colour": "red"}}, "INVALID_ARG_VALUE", ""},
		{"update a read-only field", "crm.item.productrow.update", map[string]any{"id": rowID, "fields": map[string]any{"priceNetto": 5}}, "INVALID_ARG_VALUE", ""},
		{"update an unknown row", "crm.item.productrow.update", map[string]any{"id": 987654321, "fields": map[string]any{"price": 5}}, "NOT_FOUND", ""},
		{"delete an unknown row", "crm.item.productrow.delete", map[string]any{"id": 987654321}, "NOT_FOUND", ""},
		{"list without owner", "crm.item.productrow.list", map[string]any{"filter": map[string]any{"=ownerType": "D"}}, "INVALID_ARG_VALUE", ""},
		{"list of a company", "crm.item.productrow.list", map[string]any{"filter": map[string]any{"=ownerType": "CO", "=ownerId": 1}}, "ENTITY_TYPE_NOT_SUPPORTED", ""},
		{"list by an unknown field", "crm.item.productrow.list", map[string]any{"filter": map[string]any{"=ownerType": "D", "=ownerId": deal, ">colour": 1}}, "INVALID_ARG_VALUE", ""},
		{"list in a bad order", "crm.item.productrow.list", map[string]any{"filter": map[string]any{"=ownerType": "D", "=ownerId": deal}, "order": map[string]any{"price": "up"}}, "INVALID_ARG_VALUE", ""},
		{"set without owner id", "crm.item.productrow.set", map[string]any{"ownerType": "D", "productRows": []any{}}, "100", ""},
		{"set without rows", "crm.item.productrow.set", map[string]any{"ownerType": "D", "ownerId": deal}, "100", ""},
		{"set rows that are not an array", "crm.item.productrow.set", map[string]any{"ownerType": "D", "ownerId": deal, "productRows": "x"}, "INVALID_ARG_VALUE", ""},
		{"set a bad row", "crm.item.productrow.set", map[string]any{"ownerType": "D", "ownerId": deal, "productRows": []any{map[string]any{"quantity": "many"}}}, "INVALID_ARG_VALUE", ""},
		{"set on an unknown deal", "crm.item.productrow.set", map[string]any{"ownerType": "D", "ownerId": 9999, "productRows": []any{}}, "OWNER_NOT_FOUND", ""},
		{"legacy get without id", "crm.deal.productrows.get", map[string]any{"id": "x"}, "", "The parameter id is invalid or not defined."},
		{"legacy get of an unknown deal", "crm.deal.productrows.get", map[string]any{"id": 9999}, "", "Not found"},
		{"legacy set of an unknown lead", "crm.lead.productrows.set", map[string]any{"id": 9999, "rows": []any{}}, "", "Not found"},
		{"legacy percentage without rate", "crm.deal.productrows.set", map[string]any{"id": deal, "rows": []any{map[string]any{"PRICE": 5, "DISCOUNT_TYPE_ID": 2}}},
			"ERROR_CORE", "Discount Rate (DISCOUNT_RATE) is required if Percentage Discount Type (DISCOUNT_TYPE_ID) is defined"},
		{"legacy absolute without sum", "crm.deal.productrows.set", map[string]any{"id": deal, "rows": []any{map[string]any{"PRICE": 5, "DISCOUNT_TYPE_ID": 1}}},
			"ERROR_CORE", "Discount Sum (DISCOUNT_SUM) is required if Monetary Discount Type (DISCOUNT_TYPE_ID) is defined"},
		{"legacy rows of a contact", "crm.contact.productrows.get", map[string]any{"id": 1}, "ERROR_METHOD_NOT_FOUND", ""},
	}
	for _, tc := range cases {
		a := hookCall(t, s, p, tc.method, tc.params)
		wantStatus := http.StatusBadRequest
		if tc.code == "ERROR_METHOD_NOT_FOUND" {
			wantStatus = http.StatusNotFound
		}
		if a.status != wantStatus || a.errCode() != tc.code || (tc.desc != "" && a.body["error_description"] != tc.desc) {
			t.Errorf("%s: %d %s", tc.name, a.status, a.raw)
		}
	}
	after, _ := p.Record("deal", deal)
	rows, _ := p.ProductRows("deal", deal)
	if len(rows) != 1 || rows[0]["PRICE"] != 100.0 || after["DATE_MODIFY"] != before["DATE_MODIFY"] || after["OPPORTUNITY"] != "100.00" {
		t.Errorf("refused calls changed something: rows %v, deal %v", rows, after)
	}
}

func TestProductRowsFollowOwnerRights(t *testing.T) {
	t.Parallel()
	s, p, _ := installed(t, Options{Deals: 40})
	own, err := p.IssueTokens(p.OwnRecordsUserID())
	if err != nil {
		t.Fatal(err)
	}
	// Deal of another user: the own-records user may neither read nor change its rows.
	other := 0
	for id := 1; id <= 40 && other == 0; id++ {
		if rec, _ := p.Record("deal", id); rec["ASSIGNED_BY_ID"] != fmt.Sprint(p.OwnRecordsUserID()) {
			other = id
		}
	}
	for _, c := range []struct {
		method string
		params map[string]any
	}{
		{"crm.item.productrow.list", map[string]any{"filter": map[string]any{"=ownerType": "D", "=ownerId": other}}},
		{"crm.item.productrow.add", map[string]any{"fields": map[string]any{"ownerType": "D", "ownerId": other, "price": 1}}},
		{"crm.item.productrow.set", map[string]any{"ownerType": "D", "ownerId": other, "productRows": []any{}}},
	} {
		if a := appCall(t, s, p, own.AccessToken, c.method, c.params); a.status != http.StatusBadRequest || a.errCode() != "ACCESS_DENIED" {
			t.Errorf("%s on another's deal: %d %s", c.method, a.status, a.raw)
		}
	}
	if a := appCall(t, s, p, own.AccessToken, "crm.deal.productrows.get", map[string]any{"id": other}); a.errCode() != "" || a.body["error_description"] != "Access denied" {
		t.Errorf("legacy get of another's deal: %s", a.raw)
	}
}

// Rows written through the legacy methods are the rows crm.item.productrow
// reads, and the other way round.
func TestLegacyAndItemMethodsShareRows(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{})
	p := s.Portals()[0]
	lead, err := p.AddRecord("lead", p.AdminID(), map[string]any{"TITLE": "Rows"})
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, hookCall(t, s, p, "crm.lead.productrows.set", map[string]any{"id": lead, "rows": []any{
		map[string]any{"PRODUCT_ID": 413, "PRICE": 899.1, "DISCOUNT_TYPE_ID": 2, "DISCOUNT_RATE": 10, "TAX_INCLUDED": "Y"},
		map[string]any{"PRICE": 10, "QUANTITY": 2.5, "MEASURE_CODE": 166},
	}}))
	items := rowsResult(mustOK(t, hookCall(t, s, p, "crm.item.productrow.list", map[string]any{"filter": map[string]any{"=ownerType": "L", "=ownerId": lead}})))
	if len(items) != 2 {
		t.Fatalf("item list = %v", items)
	}
	first, second := object(items[0]), object(items[1])
	if first["productName"] != "Annual support" || num(t, first["priceNetto"]) != 999 || num(t, first["discountSum"]) != 99.9 || first["ownerType"] != "L" || num(t, first["type"]) != 7 {
		t.Errorf("first row = %v", first)
	}
	if second["productName"] != fmt.Sprintf("[%v]", second["id"]) || second["measureName"] != "kg" || num(t, second["quantity"]) != 2.5 {
		t.Errorf("free-text row = %v", second)
	}

	mustOK(t, hookCall(t, s, p, "crm.item.productrow.update", map[string]any{"id": first["id"], "fields": map[string]any{"quantity": 4}}))
	legacy := list(mustOK(t, hookCall(t, s, p, "crm.lead.productrows.get", map[string]any{"id": lead})).body["result"])
	if len(legacy) != 2 {
		t.Fatalf("legacy get = %v", legacy)
	}
	l := object(legacy[0])
	if l["ID"] != fmt.Sprint(first["id"]) || l["OWNER_ID"] != fmt.Sprint(lead) || l["OWNER_TYPE"] != "L" || l["PRICE_ACCOUNT"] != "899.10" ||
		l["PRICE"] != json.Number("899.1") || l["QUANTITY"] != json.Number("4") || l["PRODUCT_ID"] != json.Number("413") ||
		l["ORIGINAL_PRODUCT_NAME"] != "Annual support" || l["PRICE_NETTO"] != json.Number("999") {
		t.Errorf("legacy row = %v", l)
	}
	rec, _ := p.Record("lead", lead)
	if rec["OPPORTUNITY"] != "3621.40" { // 4 × 899.10 + 2.5 × 10
		t.Errorf("lead OPPORTUNITY = %v, want 3621.40", rec["OPPORTUNITY"])
	}
}

func TestProductRowSetReplacesEveryRow(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{})
	p := s.Portals()[0]
	deal := newDeal(t, p)
	set := func(rows []any) []any {
		return rowsResult(mustOK(t, hookCall(t, s, p, "crm.item.productrow.set", map[string]any{"ownerType": "D", "ownerId": deal, "productRows": rows})))
	}
	first := set([]any{map[string]any{"productId": 401, "price": 1200}, map[string]any{"productId": 405, "price": 49.5, "quantity": 2}})
	second := set([]any{map[string]any{"productId": 401, "price": 1200}})
	if len(first) != 2 || len(second) != 1 {
		t.Fatalf("set answered %d then %d rows", len(first), len(second))
	}
	for _, r := range first {
		id := object(r)["id"]
		if id == object(second[0])["id"] {
			t.Errorf("re-sent row kept id %v", id)
		}
		if a := hookCall(t, s, p, "crm.item.productrow.get", map[string]any{"id": id}); a.errCode() != "NOT_FOUND" {
			t.Errorf("replaced row %v still found: %s", id, a.raw)
		}
	}
	if rec, _ := p.Record("deal", deal); rec["OPPORTUNITY"] != "1200.00" {
		t.Errorf("OPPORTUNITY = %v after set", rec["OPPORTUNITY"])
	}
	if rows := set([]any{}); len(rows) != 0 {
		t.Errorf("empty set left %v", rows)
	}
	if rec, _ := p.Record("deal", deal); rec["OPPORTUNITY"] != "0.00" {
		t.Errorf("OPPORTUNITY = %v without rows", rec["OPPORTUNITY"])
	}
	// The legacy set without rows removes every row too.
	set([]any{map[string]any{"price": 5}})
	mustOK(t, postForm(t, s.Client(), p.WebhookURL()+"crm.deal.productrows.set", fmt.Sprintf("id=%d", deal)))
	if rows, _ := p.ProductRows("deal", deal); len(rows) != 0 {
		t.Errorf("legacy set without rows left %v", rows)
	}
}

func TestProductRowListFiltersOrdersAndPages(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{})
	p := s.Portals()[0]
	deal := newDeal(t, p)
	var rows []any
	for i := 1; i <= 60; i++ {
		rows = append(rows, map[string]any{"productName": fmt.Sprintf("Part %02d", i), "price": i})
	}
	mustOK(t, hookCall(t, s, p, "crm.item.productrow.set", map[string]any{"ownerType": "D", "ownerId": deal, "productRows": rows}))
	filter := map[string]any{"=ownerType": "D", "=ownerId": deal}
	page := mustOK(t, hookCall(t, s, p, "crm.item.productrow.list", map[string]any{"filter": filter}))
	if n := len(rowsResult(page)); n != 50 || fmt.Sprint(page.body["total"]) != "60" || fmt.Sprint(page.body["next"]) != "50" {
		t.Errorf("first page: %d rows, total %v, next %v", n, page.body["total"], page.body["next"])
	}
	last := mustOK(t, hookCall(t, s, p, "crm.item.productrow.list", map[string]any{"filter": filter, "start": 50}))
	if n := len(rowsResult(last)); n != 10 || last.body["next"] != nil {
		t.Errorf("last page: %d rows, next %v", n, last.body["next"])
	}
	sel := mustOK(t, hookCall(t, s, p, "crm.item.productrow.list", map[string]any{
		"filter": map[string]any{"=ownerType": "D", "=ownerId": deal, ">=price": 55, "%productName": "part 5"},
		"order":  map[string]any{"price": "desc"},
	}))
	got := rowsResult(sel)
	if len(got) != 5 || object(got[0])["productName"] != "Part 59" || object(got[4])["productName"] != "Part 55" {
		t.Errorf("filtered and ordered: %v", got)
	}
	none := mustOK(t, hookCall(t, s, p, "crm.item.productrow.list", map[string]any{"filter": map[string]any{"=ownerType": "D", "=ownerId": 424242}}))
	if len(rowsResult(none)) != 0 || fmt.Sprint(none.body["total"]) != "0" {
		t.Errorf("rows of no deal: %s", none.raw)
	}
}

// Generated records have generated rows: the same on every read and after
// unrelated writes, never stored, and adding up to the record's amount
// from the start.
func TestGeneratedRowsAreStableAndAddUp(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 200, Leads: 100, Seed: 7})
	p := s.Portals()[0]
	rowsOf := func(entity string, id int) []map[string]any {
		rows, ok := p.ProductRows(entity, id)
		if !ok {
			t.Fatalf("%s %d has no rows", entity, id)
		}
		return rows
	}
	counts := map[int]int{}
	checked := 0
	for _, entity := range []string{"deal", "lead"} {
		for id := 1; id <= 100; id++ {
			rows := rowsOf(entity, id)
			counts[len(rows)]++
			rec, _ := p.Record(entity, id)
			if len(rows) == 0 || rec["IS_MANUAL_OPPORTUNITY"] == "Y" {
				continue
			}
			var amount, tax int64
			for _, r := range rows {
				price, qty := num(t, r["PRICE"]), num(t, r["QUANTITY"])
				amount += cents(price * qty)
				rate := 0.0
				if r["TAX_RATE"] != nil {
					rate = num(t, r["TAX_RATE"])
				}
				tax += cents((price - price/(1+rate/100)) * qty)
			}
			if rec["OPPORTUNITY"] != formatCents(amount) {
				t.Errorf("%s %d: OPPORTUNITY %v, rows add up to %s", entity, id, rec["OPPORTUNITY"], formatCents(amount))
			}
			if entity == "deal" && rec["TAX_VALUE"] != formatCents(tax) {
				t.Errorf("deal %d: TAX_VALUE %v, rows' tax %s", id, rec["TAX_VALUE"], formatCents(tax))
			}
			checked++
		}
	}
	if counts[0] == 0 || counts[1] == 0 || counts[2]+counts[3]+counts[4] == 0 || checked == 0 {
		t.Errorf("row counts %v, %d consistent records checked: want some records without rows, some with one, some with several", counts, checked)
	}

	deal := 0
	for id := 1; id <= 100 && deal == 0; id++ {
		if len(rowsOf("deal", id)) >= 2 {
			deal = id
		}
	}
	before := fmt.Sprint(rowsOf("deal", deal))
	if again := fmt.Sprint(rowsOf("deal", deal)); again != before {
		t.Errorf("second read differs:\n%s\n%s", before, again)
	}
	if err := p.UpdateRecord("deal", deal, p.AdminID(), map[string]any{"TITLE": "Renamed", "OPPORTUNITY": "1.00"}); err != nil {
		t.Fatal(err)
	}
	other := deal + 1
	mustOK(t, hookCall(t, s, p, "crm.item.productrow.set", map[string]any{"ownerType": "D", "ownerId": other, "productRows": []any{map[string]any{"price": 1}}}))
	if after := fmt.Sprint(rowsOf("deal", deal)); after != before {
		t.Errorf("rows changed after unrelated writes:\n%s\n%s", before, after)
	}
	p.mu.Lock()
	stored := len(p.productRows().owners)
	p.mu.Unlock()
	if stored != 1 {
		t.Errorf("%d owners' rows stored, want only the one written", stored)
	}

	// A generated row is found by id, and changing it keeps the others.
	first := rowsOf("deal", deal)[0]
	got := rowResult(mustOK(t, hookCall(t, s, p, "crm.item.productrow.get", map[string]any{"id": first["ID"]})), "productRow")
	if fmt.Sprint(got["ownerId"]) != fmt.Sprint(deal) || got["productName"] != first["PRODUCT_NAME"] {
		t.Errorf("get of generated row %v = %v", first["ID"], got)
	}
	n := len(rowsOf("deal", deal))
	if del := mustOK(t, hookCall(t, s, p, "crm.item.productrow.delete", map[string]any{"id": first["ID"]})); !strings.Contains(del.raw, `"result":null`) {
		t.Errorf("delete answered %s, want a null result", del.raw)
	}
	if rows := rowsOf("deal", deal); len(rows) != n-1 || rows[0]["ID"] == first["ID"] {
		t.Errorf("after deleting %v: %v", first["ID"], rows)
	}
	if a := hookCall(t, s, p, "crm.item.productrow.get", map[string]any{"id": first["ID"]}); a.errCode() != "NOT_FOUND" {
		t.Errorf("deleted generated row: %s", a.raw)
	}
	if err := p.DeleteRecord("deal", deal+2, p.AdminID()); err != nil {
		t.Fatal(err)
	}
	if _, ok := p.ProductRows("deal", deal+2); ok {
		t.Error("a deleted deal still has rows")
	}
}

// A million generated deals cost nothing until read; any one's rows come
// at once.
func TestGeneratedRowsOfAMillionDeals(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 1_000_000})
	p := s.Portals()[0]
	for _, id := range []int{1, 500_000, 999_999, 1_000_000} {
		rows := rowsResult(mustOK(t, hookCall(t, s, p, "crm.item.productrow.list", map[string]any{"filter": map[string]any{"=ownerType": "D", "=ownerId": id}})))
		for _, r := range rows {
			got := mustOK(t, hookCall(t, s, p, "crm.item.productrow.get", map[string]any{"id": object(r)["id"]}))
			if fmt.Sprint(rowResult(got, "productRow")["ownerId"]) != fmt.Sprint(id) {
				t.Errorf("row %v of deal %d: %s", object(r)["id"], id, got.raw)
			}
		}
	}
	deal := newDeal(t, p)
	added := rowResult(mustOK(t, hookCall(t, s, p, "crm.item.productrow.add", map[string]any{"fields": map[string]any{"ownerType": "D", "ownerId": deal, "price": 3}})), "productRow")
	if a := mustOK(t, hookCall(t, s, p, "crm.item.productrow.get", map[string]any{"id": added["id"]})); fmt.Sprint(rowResult(a, "productRow")["ownerId"]) != fmt.Sprint(deal) {
		t.Errorf("added row %v: %s", added["id"], a.raw)
	}
}

// A row change saves the owner: DATE_MODIFY and MODIFY_BY_ID move, the
// amount follows the rows unless it is manual, and ONCRMDEALUPDATE fires.
func TestProductRowChangeUpdatesOwnerAndFiresEvent(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := newHandler(t)
	s, p, tok := installed(t, Options{Now: clk.Now})
	mustOK(t, appCall(t, s, p, tok.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALUPDATE", "handler": h.URL}))
	auto, err := p.AddRecord("deal", p.AdminID(), map[string]any{"TITLE": "Auto"})
	if err != nil {
		t.Fatal(err)
	}
	manual, err := p.AddRecord("deal", p.AdminID(), map[string]any{"TITLE": "Manual", "OPPORTUNITY": "500", "IS_MANUAL_OPPORTUNITY": "Y"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(10 * time.Minute)
	editor, err := p.IssueTokens(2)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []int{auto, manual} {
		mustOK(t, appCall(t, s, p, editor.AccessToken, "crm.item.productrow.add", map[string]any{"fields": map[string]any{"ownerType": "D", "ownerId": id, "price": 40, "quantity": 2}}))
	}
	// Deliveries run concurrently: compare them as a set.
	ds := waitN(t, p, 2)
	updated := map[string]bool{}
	for _, d := range ds[:2] {
		if d.Event != "ONCRMDEALUPDATE" {
			t.Errorf("delivery %s %v, want ONCRMDEALUPDATE", d.Event, d.Body)
		}
		updated[d.Body.Get("data[FIELDS][ID]")] = true
	}
	if !updated[fmt.Sprint(auto)] || !updated[fmt.Sprint(manual)] {
		t.Errorf("row changes fired updates of %v, want deals %d and %d", updated, auto, manual)
	}
	now := p.formatTime(clk.Now())
	a, _ := p.Record("deal", auto)
	m, _ := p.Record("deal", manual)
	if a["OPPORTUNITY"] != "80.00" || a["DATE_MODIFY"] != now || a["MODIFY_BY_ID"] != "2" {
		t.Errorf("deal with computed amount: OPPORTUNITY %v DATE_MODIFY %v MODIFY_BY_ID %v", a["OPPORTUNITY"], a["DATE_MODIFY"], a["MODIFY_BY_ID"])
	}
	if m["OPPORTUNITY"] != "500.00" || m["DATE_MODIFY"] != now {
		t.Errorf("deal with manual amount: OPPORTUNITY %v DATE_MODIFY %v", m["OPPORTUNITY"], m["DATE_MODIFY"])
	}

	// The legacy set and the Go API save the owner the same way.
	mustOK(t, appCall(t, s, p, tok.AccessToken, "crm.deal.productrows.set", map[string]any{"id": auto, "rows": []any{map[string]any{"PRICE": 7}}}))
	if err := p.SetProductRows("deal", auto, Automation, []map[string]any{{"PRICE": 9, "QUANTITY": 3}}); err != nil {
		t.Fatal(err)
	}
	ds = waitN(t, p, 4)
	if ds[2].Body.Get("data[FIELDS][ID]") != fmt.Sprint(auto) || ds[3].Body.Get("data[FIELDS][ID]") != fmt.Sprint(auto) {
		t.Errorf("legacy and automation row changes fired %v, %v", ds[2].Body, ds[3].Body)
	}
	if tokened := (ds[2].Body.Get("auth[access_token]") != "") != (ds[3].Body.Get("auth[access_token]") != ""); !tokened {
		t.Error("of the app's and the automation's row changes, exactly one must carry tokens")
	}
	if a, _ := p.Record("deal", auto); a["OPPORTUNITY"] != "27.00" {
		t.Errorf("OPPORTUNITY after the automation's rows = %v", a["OPPORTUNITY"])
	}
}

func TestControlSetsProductRows(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 3})
	p := s.Portals()[0]
	base := s.URL + "/_emulator/portals/" + p.MemberID() + "/records/deal/2/productrows"
	put := func(url, body string) int {
		req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := put(base, `{"user_id":1,"rows":[{"PRODUCT_ID":406,"PRICE":250,"QUANTITY":2},{"PRODUCT_NAME":"Delivery","PRICE":15}]}`); st != http.StatusNoContent {
		t.Fatalf("PUT rows = %d", st)
	}
	var rows []map[string]any
	resp, err := s.Client().Get(base)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(resp.Body).Decode(&rows)
	resp.Body.Close()
	if len(rows) != 2 || rows[0]["PRODUCT_NAME"] != "Office chair" || rows[1]["PRODUCT_NAME"] != "Delivery" {
		t.Errorf("GET rows = %v", rows)
	}
	for name, c := range map[string]struct{ url, body string }{
		"not JSON":        {base, `rows`},
		"rows not a list": {base, `{"rows":5}`},
		"bad discount":    {base, `{"rows":[{"PRICE":1,"DISCOUNT_TYPE_ID":1}]}`},
		"unknown deal":    {strings.Replace(base, "/2/", "/99/", 1), `{"rows":[]}`},
		"contact":         {strings.Replace(base, "/deal/", "/contact/", 1), `{"rows":[]}`},
		"unknown user":    {base, `{"user_id":77,"rows":[]}`},
	} {
		if st := put(c.url, c.body); st != http.StatusBadRequest {
			t.Errorf("%s: PUT = %d, want 400", name, st)
		}
	}
	if after, _ := p.ProductRows("deal", 2); len(after) != 2 {
		t.Errorf("refused PUTs changed the rows: %v", after)
	}
}

func TestProductCatalogue(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{})
	p := s.Portals()[0]
	pr := object(mustOK(t, hookCall(t, s, p, "crm.product.get", map[string]any{"id": 406})).body["result"])
	if pr["ID"] != "406" || pr["NAME"] != "Office chair" || pr["PRICE"] != "275.00" || pr["CURRENCY_ID"] != "EUR" || pr["MEASURE"] != "796" {
		t.Errorf("product 406 = %v", pr)
	}
	if a := hookCall(t, s, p, "crm.product.get", map[string]any{"id": 1}); a.status != http.StatusBadRequest || a.body["error_description"] != "Not found" {
		t.Errorf("unknown product: %s", a.raw)
	}
	all := mustOK(t, hookCall(t, s, p, "crm.product.list", nil))
	if fmt.Sprint(all.body["total"]) != fmt.Sprint(len(catalogue)) || len(list(all.body["result"])) != len(catalogue) {
		t.Errorf("list: total %v, %d products", all.body["total"], len(list(all.body["result"])))
	}
	laptops := list(mustOK(t, hookCall(t, s, p, "crm.product.list", map[string]any{"filter": map[string]any{"%NAME": "laptop"}})).body["result"])
	if len(laptops) != 2 {
		t.Errorf("%%NAME=laptop: %v", laptops)
	}
	if fields := object(mustOK(t, hookCall(t, s, p, "crm.product.fields", nil)).body["result"]); fields["PRICE"] == nil || fields["NAME"] == nil {
		t.Errorf("fields = %v", fields)
	}
}

// Rows are read in batch with form-encoded filters, as clients fetch the
// rows of many deals at once.
func TestProductRowsInBatch(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 30})
	p := s.Portals()[0]
	deal := 0
	var want []map[string]any
	for id := 1; id <= 30 && len(want) < 2; id++ {
		deal = id
		want, _ = p.ProductRows("deal", id)
	}
	if len(want) < 2 {
		t.Fatal("no generated deal with several rows")
	}
	form := strings.Join([]string{
		"halt=0",
		"cmd[rows]=" + q(fmt.Sprintf("crm.item.productrow.list?%s=D&%s=%d", q("filter[=ownerType]"), q("filter[=ownerId]"), deal)),
		"cmd[legacy]=" + q(fmt.Sprintf("crm.deal.productrows.get?id=%d", deal)),
		"cmd[bad]=" + q(fmt.Sprintf("crm.item.productrow.list?%s=C&%s=%d", q("filter[=ownerType]"), q("filter[=ownerId]"), deal)),
	}, "&")
	r := object(mustOK(t, postForm(t, s.Client(), p.WebhookURL()+"batch", form)).body["result"])
	res := object(r["result"])
	items := list(object(res["rows"])["productRows"])
	legacy := list(res["legacy"])
	if len(items) != len(want) || len(legacy) != len(want) || fmt.Sprint(object(r["result_total"])["rows"]) != fmt.Sprint(len(want)) {
		t.Fatalf("deal %d has %d rows; batch read %d and %d: %v", deal, len(want), len(items), len(legacy), r)
	}
	for i, it := range items {
		if fmt.Sprint(object(it)["id"]) != want[i]["ID"] || object(legacy[i])["ID"] != want[i]["ID"] {
			t.Errorf("row %d: %v / %v, want id %v", i, it, legacy[i], want[i]["ID"])
		}
	}
	if e := object(object(r["result_error"])["bad"]); e["error"] != "ENTITY_TYPE_NOT_SUPPORTED" {
		t.Errorf("result_error.bad = %v", e)
	}
}
