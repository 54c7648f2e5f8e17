package server_test

import (
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
)

// writableFields are the fields of an item's state a restore writes: all
// but system, read-only and file fields, product rows (compared apart)
// and the contacts (compared apart, since a gone one is left out).
func writableFields(schema *history.Schema, s history.Snapshot) []string {
	var out []string
	for name := range s {
		f := schema.Field(name)
		if history.IsSystemField(name) || f.ReadOnly || f.Type == history.TypeFile ||
			name == history.ProductRows || name == "CONTACT_ID" || name == "CONTACT_IDS" {
			continue
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// itemsAfter are the ids of the portal's items of ty above id (up to ten
// more).
func itemsAfter(r *reverts, ty crm.Type, id int) []int {
	var out []int
	for n := id + 1; n <= id+10; n++ {
		if _, ok := r.p.Record(ty.String(), n); ok {
			out = append(out, n)
		}
	}
	return out
}

// restoreItem opens the restore of a deleted item on the settings page,
// submits it twice at once and returns the preview and the new item's id;
// both answers name the one new item (or that it is being written).
func restoreItem(t *testing.T, r *reverts, f *trailtest.Frame, ty crm.Type, id int) (page string, newID int) {
	t.Helper()
	path := "/settings/deleted/" + ty.String() + "/" + itoaInt(id)
	if list := f.Must(200, "GET", "/settings/deleted", url.Values{"type": {ty.String()}}); !strings.Contains(list, `data-record="`+path+`"`) {
		t.Fatalf("the list lacks %s %d:\n%s", ty, id, list)
	}
	if view := f.Must(200, "GET", path, nil); strings.Contains(view, "cannot be restored yet") || !strings.Contains(view, path+"/restore") {
		t.Fatalf("%s %d is not offered for restore:\n%s", ty, id, view)
	}
	page = f.Must(200, "GET", path+"/restore", nil)
	m := keyRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no preview:\n%s", page)
	}
	var wg sync.WaitGroup
	answers, statuses := make([]string, 2), make([]int, 2)
	for i := range answers {
		p := r.Page(t, f.Session)
		wg.Go(func() { statuses[i], answers[i] = p.Do("POST", path+"/restore", url.Values{"key": {m[1]}}) })
	}
	wg.Wait()
	for i, a := range answers {
		if statuses[i] != 200 {
			t.Fatalf("submit %d answered %d:\n%s", i, statuses[i], a)
		}
	}
	newID = restoredOnce(t, answers)
	if again := f.Must(200, "POST", path+"/restore", url.Values{"key": {m[1]}}); !strings.Contains(again, "restored as #"+itoaInt(newID)) {
		t.Errorf("the submit once more = %s, want the first one's outcome", again)
	}
	if again := f.Must(409, "GET", path+"/restore", nil); !strings.Contains(again, "#"+itoaInt(newID)) {
		t.Errorf("a second restore = %q, want it to name #%d", again, newID)
	}
	return page, newID
}

// restoredFrom waits until Trail recorded the new item's creation as the
// restore of the deleted one, by the admin.
func restoredFrom(t *testing.T, r *reverts, ty crm.Type, newID, oldID int) {
	t.Helper()
	trailtest.Eventually(t, "the restored item's creation recorded", func() bool {
		h := r.History(t, r.id, ty, int64(newID))
		return len(h) > 0 && h[0].Action == history.Created.String() && h[0].RestoredFrom != nil
	})
	first := r.History(t, r.id, ty, int64(newID))[0]
	if *first.RestoredFrom != int64(oldID) || first.AuthorID == nil || *first.AuthorID != int64(r.p.AdminID()) {
		t.Errorf("%s %d: restored from %d by %s, want %d by the admin", ty, newID, *first.RestoredFrom, author(first.AuthorID), oldID)
	}
}

// TestRestoreDeletedItems: a smart-process item (products enabled, user
// fields of every kind, contacts, a company, a parent deal, a pipeline and
// a stage) and a smart invoice are deleted in the portal, listed, and
// restored through crm.item.add: the portal's own crm.item.get and
// crm.item.productrow.list of the new items equal the old ones in every
// field that can be written; a contact deleted meanwhile is left out and
// listed with the reason, a file is listed as gone; a double submit
// creates one item; the new item's history starts with the restore.
func TestRestoreDeletedItems(t *testing.T) {
	t.Parallel()
	r, spa := newItemReverts(t)
	fs := r.addSPAFields(t, spa)
	admin := r.p.AdminID()
	stages := stagesOf(r.p, spa.String(), 8)
	var cat string
	for c, st := range stages {
		if c != "" && len(st) > 0 && (cat == "" || c > cat) {
			cat = c
		}
	}
	const item, invoice = 4, 2
	r.edit(t, spa.String(), item, admin, map[string]any{
		"TITLE": "Item to bring back", "ASSIGNED_BY_ID": "2", "BEGINDATE": "2026-01-10", "CLOSEDATE": "2026-02-20",
		"CURRENCY_ID": "EUR", "COMPANY_ID": "1", "CONTACT_IDS": []string{"1", "3"}, "OBSERVERS": []string{"3"},
		"PARENT_ID_2": "2", "SOURCE_ID": "CALL", "OPENED": "Y", "CATEGORY_ID": cat, "STAGE_ID": stages[cat][len(stages[cat])-1],
		fs.contract: "contract kept", fs.score: "1.5", fs.priority: fs.enumItems[1], fs.money: "100|USD",
		fs.date: "2026-03-04", fs.tags: []string{"alpha", "beta"}, fs.link: "D_1",
		fs.integer: "5", fs.datetime: "2026-03-04T10:15:00+03:00", fs.flag: "Y", fs.labels: fs.labelItems[:2],
	})
	rows := func(ty crm.Type, id int, rows ...map[string]any) {
		last := r.lastChange(t, ty, int64(id))
		if err := r.p.SetProductRows(ty.String(), id, admin, rows); err != nil {
			t.Fatal(err)
		}
		r.nextChange(t, ty, int64(id), last)
	}
	rows(spa, item, map[string]any{"PRODUCT_NAME": "Sofa", "PRICE": 100, "QUANTITY": 2}, map[string]any{"PRODUCT_ID": 1, "PRICE": 10, "QUANTITY": 3})
	last := r.lastChange(t, spa, item)
	if _, err := r.p.AttachFile(spa.String(), item, admin, fs.file, "scan.pdf", []byte("%PDF scan")); err != nil {
		t.Fatal(err)
	}
	r.nextChange(t, spa, item, last)
	r.edit(t, "smart_invoice", invoice, admin, map[string]any{
		"TITLE": "Invoice to bring back", "COMPANY_ID": "2", "CONTACT_IDS": []string{"2"}, "PARENT_ID_2": "1",
		"COMMENTS": "kept through deletion", "ACCOUNT_NUMBER": "INV-77", "CURRENCY_ID": "USD",
		"UF_CRM_SMART_INVOICE_1700000050": "PO-77",
	})
	rows(crm.SmartInvoice, invoice, map[string]any{"PRODUCT_NAME": "Lamp", "PRICE": 5, "QUANTITY": 4})

	wantItem, wantItemRows := r.itemGet(t, spa, item), r.itemRows(t, spa, item)
	wantInvoice, wantInvoiceRows := r.itemGet(t, crm.SmartInvoice, invoice), r.itemRows(t, crm.SmartInvoice, invoice)
	if len(wantItemRows) != 2 || len(wantInvoiceRows) != 1 {
		t.Fatalf("setup: rows %v, %v", wantItemRows, wantInvoiceRows)
	}
	highest, highestInvoice := 0, 0
	for id := 1; id <= 30; id++ {
		if _, ok := r.p.Record(spa.String(), id); ok {
			highest = id
		}
		if _, ok := r.p.Record("smart_invoice", id); ok {
			highestInvoice = id
		}
	}
	r.deleteRecord(t, spa.String(), item, admin)
	r.deleteRecord(t, "smart_invoice", invoice, admin)
	r.deleteRecord(t, "contact", 3, admin) // after the item: it is gone when the item comes back

	f, status, _ := r.OpenApp(t, r.p, admin)
	if status != 200 {
		t.Fatalf("settings = %d", status)
	}
	page, newItem := restoreItem(t, r, f, spa, item)
	if row := trailtest.Between(page, `data-field="CONTACT_IDS" data-outcome="" class="skipped"`, `</tr>`); !strings.Contains(row, "no longer exists") {
		t.Errorf("the deleted contact is not listed as skipped:\n%s", page)
	}
	if row := trailtest.Between(page, `data-field="`+fs.file+`"`, `</tr>`); !strings.Contains(row, `class="reason"`) {
		t.Errorf("the file is not listed as skipped:\n%s", page)
	}
	if got := itemsAfter(r, spa, highest); !slices.Equal(got, []int{newItem}) {
		t.Fatalf("items created %v, want [%d]", got, newItem)
	}
	schema := r.schema(t, spa)
	gotItem := r.itemGet(t, spa, newItem)
	fields := writableFields(schema, wantItem)
	for _, name := range []string{"TITLE", "CATEGORY_ID", "STAGE_ID", "COMPANY_ID", "PARENT_ID_2", "OBSERVERS", fs.money, fs.labels, fs.tags, fs.flag} {
		if !slices.Contains(fields, name) {
			t.Fatalf("%s is not among the compared fields %v", name, fields)
		}
	}
	r.sameState(t, spa, "restored", wantItem, gotItem, fields)
	if got := history.Normalize(schema.Field("CONTACT_IDS"), gotItem["CONTACT_IDS"]); len(got.List) != 1 || got.List[0].Text != "1" {
		t.Errorf("contacts %v, want contact 1 only", got)
	}
	if got := r.itemRows(t, spa, newItem); !slices.Equal(got, wantItemRows) {
		t.Errorf("product rows %v, want %v", got, wantItemRows)
	}
	restoredFrom(t, r, spa, newItem, item)

	_, newInvoice := restoreItem(t, r, f, crm.SmartInvoice, invoice)
	if got := itemsAfter(r, crm.SmartInvoice, highestInvoice); !slices.Equal(got, []int{newInvoice}) {
		t.Fatalf("invoices created %v, want [%d]", got, newInvoice)
	}
	gotInvoice := r.itemGet(t, crm.SmartInvoice, newInvoice)
	r.sameState(t, crm.SmartInvoice, "restored", wantInvoice, gotInvoice,
		append(writableFields(r.schema(t, crm.SmartInvoice), wantInvoice), "CONTACT_IDS"))
	if got := r.itemRows(t, crm.SmartInvoice, newInvoice); !slices.Equal(got, wantInvoiceRows) {
		t.Errorf("invoice rows %v, want %v", got, wantInvoiceRows)
	}
	restoredFrom(t, r, crm.SmartInvoice, newInvoice, invoice)

	audit := f.Must(200, "GET", "/settings/reverts", nil)
	if !strings.Contains(audit, "restored as #"+itoaInt(newItem)) || !strings.Contains(audit, "restored as #"+itoaInt(newInvoice)) ||
		!strings.Contains(audit, `data-field="TITLE" data-outcome="written"`) {
		t.Errorf("the audit lacks the restores:\n%s", audit)
	}
}

// TestRestoreDeletedItemRefused: an item is added with the person's own
// token, so Bitrix24's add right decides: an administrator demoted on the
// portal, whose role may not add the smart process's items, is refused by
// crm.item.add; the reason is shown, nothing is created, and an
// administrator who may add restores the item after.
func TestRestoreDeletedItemRefused(t *testing.T) {
	t.Parallel()
	r, spa := newItemReverts(t)
	const item, user = 5, 2
	r.deleteRecord(t, spa.String(), item, r.p.AdminID())
	if err := r.p.SetAdmin(user, true); err != nil {
		t.Fatal(err)
	}
	f, status, _ := r.OpenApp(t, r.p, user)
	if status != 200 {
		t.Fatalf("settings of the new administrator = %d", status)
	}
	if err := r.p.SetAdmin(user, false); err != nil {
		t.Fatal(err)
	}
	if err := r.p.DenyAdd(user, spa.String(), true); err != nil {
		t.Fatal(err)
	}
	path := "/settings/deleted/" + spa.String() + "/" + itoaInt(item) + "/restore"
	m := keyRe.FindStringSubmatch(f.Must(200, "GET", path, nil))
	if m == nil {
		t.Fatal("no preview")
	}
	highest := 0
	for id := 1; id <= 30; id++ {
		if _, ok := r.p.Record(spa.String(), id); ok {
			highest = id
		}
	}
	done := f.Must(200, "POST", path, url.Values{"key": {m[1]}})
	if !strings.Contains(done, "Bitrix24 refused") || !strings.Contains(done, "Access denied") || outcome(done, "TITLE") != db.OutcomeRefused {
		t.Errorf("the portal's refusal is not shown:\n%s", done)
	}
	if got := itemsAfter(r, spa, highest); len(got) != 0 {
		t.Fatalf("items %v created by a refused restore", got)
	}
	admin, _, _ := r.OpenApp(t, r.p, r.p.AdminID())
	m = keyRe.FindStringSubmatch(admin.Must(200, "GET", path, nil))
	if m == nil {
		t.Fatal("the administrator gets no preview after a refusal")
	}
	if done := admin.Must(200, "POST", path, url.Values{"key": {m[1]}}); !restoredAsRe.MatchString(done) {
		t.Errorf("the administrator's restore:\n%s", done)
	}
	if got := itemsAfter(r, spa, highest); len(got) != 1 {
		t.Errorf("items %v after the administrator's restore, want one", got)
	}
}

// TestRestoreDeletedEstimate: a deleted estimate comes back through
// crm.item.add with its status, its deal, its client and its product
// rows, as the portal's own crm.item.get and crm.item.productrow.list
// read them.
func TestRestoreDeletedEstimate(t *testing.T) {
	t.Parallel()
	r, _ := newItemReverts(t)
	admin := r.p.AdminID()
	const quote = 3
	r.edit(t, "quote", quote, admin, map[string]any{
		"TITLE": "Estimate to bring back", "STATUS_ID": "SENT", "CURRENCY_ID": "EUR", "COMPANY_ID": "1",
		"CONTACT_IDS": []string{"1", "2"}, "DEAL_ID": "2", "BEGINDATE": "2026-01-10", "CLOSEDATE": "2026-02-01",
		"COMMENTS": "kept through deletion", "UF_CRM_1700000040": "terms kept", "UF_CRM_1700000041": "20|USD",
	})
	last := r.lastChange(t, crm.Quote, quote)
	if err := r.p.SetProductRows("quote", quote, admin, []map[string]any{{"PRODUCT_NAME": "Desk", "PRICE": 300, "QUANTITY": 1}}); err != nil {
		t.Fatal(err)
	}
	r.nextChange(t, crm.Quote, quote, last)
	want, wantRows := r.itemGet(t, crm.Quote, quote), r.itemRows(t, crm.Quote, quote)
	highest := 0
	for id := 1; id <= 30; id++ {
		if _, ok := r.p.Record("quote", id); ok {
			highest = id
		}
	}
	r.deleteRecord(t, "quote", quote, admin)
	f, _, _ := r.OpenApp(t, r.p, admin)
	_, newQuote := restoreItem(t, r, f, crm.Quote, quote)
	if got := itemsAfter(r, crm.Quote, highest); !slices.Equal(got, []int{newQuote}) {
		t.Fatalf("estimates created %v, want [%d]", got, newQuote)
	}
	fields := append(writableFields(r.schema(t, crm.Quote), want), "CONTACT_IDS")
	for _, name := range []string{"STATUS_ID", "DEAL_ID", "COMPANY_ID", "UF_CRM_1700000041"} {
		if !slices.Contains(fields, name) {
			t.Fatalf("%s is not among the compared fields %v", name, fields)
		}
	}
	r.sameState(t, crm.Quote, "restored", want, r.itemGet(t, crm.Quote, newQuote), fields)
	if got := r.itemRows(t, crm.Quote, newQuote); !slices.Equal(got, wantRows) {
		t.Errorf("estimate rows %v, want %v", got, wantRows)
	}
	restoredFrom(t, r, crm.Quote, newQuote, quote)
}
