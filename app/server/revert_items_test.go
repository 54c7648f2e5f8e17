package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
)

// newItemReverts is a portal with estimates, smart invoices and a smart
// process whose items Trail has its baseline of.
func newItemReverts(t *testing.T) (*reverts, crm.Type) {
	t.Helper()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Contacts: 5, Companies: 3, Leads: 5,
		Quotes: 6, SmartInvoices: 6, SmartProcesses: 1, SmartProcessItems: 8, Seed: 31}})
	p := s.Emu.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	r := &reverts{stack: s, p: p, id: s.Installed(t, p)}
	var spa crm.Type
	for _, f := range s.FoundTypes(t, r.id) {
		if f.Type.Dynamic() {
			spa = f.Type
		}
	}
	if spa == 0 {
		t.Fatalf("no smart process among %+v", s.FoundTypes(t, r.id))
	}
	for _, ty := range []crm.Type{crm.Quote, crm.SmartInvoice, spa} {
		trailtest.Eventually(t, ty.String()+"'s baseline", func() bool { return syncDone(t, s, r.id, ty) })
	}
	return r, spa
}

// itemGet is an item as the portal's own crm.item.get returns it to the
// admin, in the form Trail stores it.
func (r *reverts) itemGet(t *testing.T, ty crm.Type, id int) history.Snapshot {
	t.Helper()
	b := r.read(t, "crm.item.get", url.Values{"entityTypeId": {itoaInt(int(ty))}, "id": {itoaInt(id)}, "useOriginalUfNames": {"Y"}})
	var out struct {
		Result struct {
			Item json.RawMessage `json:"item"`
		}
	}
	if err := json.Unmarshal(b, &out); err != nil || out.Result.Item == nil {
		t.Fatalf("crm.item.get: %v %s", err, b)
	}
	s, err := history.ItemSnapshot(r.schema(t, ty), out.Result.Item)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// itemRows are an item's product rows as the portal lists them, each as
// "name price×quantity".
func (r *reverts) itemRows(t *testing.T, ty crm.Type, id int) []string {
	t.Helper()
	q := url.Values{"filter[=ownerType]": {ty.Short()}, "filter[=ownerId]": {itoaInt(id)}}
	var out struct{ Result json.RawMessage }
	if err := json.Unmarshal(r.read(t, "crm.item.productrow.list", q), &out); err != nil {
		t.Fatal(err)
	}
	raw, err := history.RowsValue(out.Result)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, v := range history.Normalize(history.Field{Name: history.ProductRows, Type: history.TypeProductRow, Multiple: true}, raw).List {
		row, _ := history.ParseRow(v)
		rows = append(rows, row.Name+" "+row.Price+"×"+row.Quantity)
	}
	slices.Sort(rows)
	return rows
}

// sameState compares fields of two states as Trail reads them; the items
// of multi-fields by type and value (one put back gets a new id).
func (r *reverts) sameState(t *testing.T, ty crm.Type, what string, want, got history.Snapshot, fields []string) {
	t.Helper()
	schema := r.schema(t, ty)
	for _, name := range fields {
		f := schema.Field(name)
		w, g := history.Normalize(f, want[name]), history.Normalize(f, got[name])
		if f.Type == history.TypeMultifield {
			w, g = withoutIDs(w), withoutIDs(g)
		}
		if !w.Equal(g) {
			t.Errorf("%s %s: %s = %v, want %v", ty, what, name, g, w)
		}
	}
}

// changed are the fields a change changed.
func (r *reverts) changed(t *testing.T, ty crm.Type, id int, change int64) []string {
	t.Helper()
	var names []string
	for _, h := range r.History(t, r.id, ty, int64(id)) {
		if h.ChangeID == change && !slices.Contains(names, h.Field) {
			names = append(names, h.Field)
		}
	}
	return names
}

// reverted waits until Trail recorded the revert of change as the admin's
// revert, and returns its change id.
func (r *reverts) reverted(t *testing.T, ty crm.Type, id int, after int64) int64 {
	t.Helper()
	next := r.nextChange(t, ty, int64(id), after)
	for _, h := range r.History(t, r.id, ty, int64(id)) {
		if h.ChangeID == next && (h.Source != "revert" || h.AuthorID == nil || *h.AuthorID != int64(r.p.AdminID())) {
			t.Errorf("%s %d: the revert's row %s (change %d after %d) is recorded with source %q by %s", ty, id, h.Field, next, after, h.Source, author(h.AuthorID))
		}
	}
	return next
}

// restorePage opens the preview of putting a record back as of a moment;
// it returns the page, its key and the fields that can be ticked.
func restorePage(t *testing.T, f *trailtest.Frame, ty crm.Type, id int, q url.Values) (page, key string, writable []string) {
	t.Helper()
	page = f.Must(200, "GET", "/tab/"+ty.String()+"/"+itoaInt(id)+"/restore", q)
	if m := keyRe.FindStringSubmatch(page); m != nil {
		key = m[1]
	}
	for _, m := range fieldBoxRe.FindAllStringSubmatch(page, -1) {
		if !strings.Contains(m[2], "disabled") {
			writable = append(writable, m[1])
		}
	}
	return page, key, writable
}

// roundTrip puts every field of old into the record, changes them to new,
// and checks through the portal's own get that the record holds old again
// after each way back: reverting the change, reverting one field of it,
// and putting the record back as of the moment old was written.
func (r *reverts) roundTrip(t *testing.T, ty crm.Type, id int, old, newer map[string]any) {
	t.Helper()
	get := func() history.Snapshot {
		if ty.Legacy() {
			return r.get(t, ty.String(), id)
		}
		return r.itemGet(t, ty, id)
	}
	keys := make([]string, 0, len(old))
	for k := range old {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	oldMoment := r.edit(t, ty.String(), id, 2, old)
	before := get()
	change := r.edit(t, ty.String(), id, 2, newer)
	names := r.changed(t, ty, id, change)
	for _, k := range keys {
		if !slices.Contains(names, k) {
			t.Fatalf("%s %d: the change did not change %s (it changed %v)", ty, id, k, names)
		}
	}
	f, status, _ := r.OpenTab(t, r.p, r.p.AdminID(), ty.DetailTab(), itoaInt(id))
	if status != 200 {
		t.Fatalf("%s tab = %d", ty, status)
	}

	// The whole change.
	page, key, ticked := preview(t, f, ty.String(), id, change, "")
	for _, k := range keys {
		if !slices.Contains(ticked, k) {
			t.Errorf("%s: %s is not ticked in the preview:\n%s", ty, k, trailtest.Between(page, `data-field="`+k+`"`, `</tr>`))
		}
	}
	body := submit(t, f, ty.String(), id, change, key, ticked)
	for _, k := range keys {
		if o := outcome(body, k); o != db.OutcomeWritten {
			t.Errorf("%s: %s: outcome %q, want written:\n%s", ty, k, o, trailtest.Between(body, `data-field="`+k+`"`, `</tr>`))
		}
	}
	r.sameState(t, ty, "after the revert of the change", before, get(), keys)
	r.reverted(t, ty, id, change)

	// One field of the change.
	change = r.edit(t, ty.String(), id, 2, newer)
	one, other := keys[0], keys[len(keys)-1]
	_, key, ticked = preview(t, f, ty.String(), id, change, one)
	if !slices.Equal(ticked, []string{one}) {
		t.Fatalf("%s: the preview of %s ticks %v", ty, one, ticked)
	}
	if body := submit(t, f, ty.String(), id, change, key, ticked); outcome(body, one) != db.OutcomeWritten {
		t.Fatalf("%s: %s: %s", ty, one, body)
	}
	now := get()
	r.sameState(t, ty, "after the revert of one field", before, now, []string{one})
	if f := r.schema(t, ty).Field(other); history.Normalize(f, now[other]).Equal(history.Normalize(f, before[other])) {
		t.Errorf("%s: %s went back too: a field not reverted must stay", ty, other)
	}
	last := r.reverted(t, ty, id, change)

	// The record as of the moment old was written.
	q := r.restoreQuery(t, ty, int64(id), oldMoment)
	page, key, writable := restorePage(t, f, ty, id, q)
	for _, k := range keys {
		if k != one && !slices.Contains(writable, k) {
			t.Errorf("%s: %s cannot be put back as of the moment:\n%s", ty, k, trailtest.Between(page, `data-field="`+k+`"`, `</tr>`))
		}
	}
	body = f.Must(200, "POST", "/tab/"+ty.String()+"/"+itoaInt(id)+"/restore", url.Values{"key": {key}, "field": writable})
	for _, k := range writable {
		if o := outcome(body, k); o != db.OutcomeWritten {
			t.Errorf("%s: restoring %s: outcome %q, want written", ty, k, o)
		}
	}
	r.sameState(t, ty, "as of the moment", before, get(), keys)
	r.reverted(t, ty, id, last)
}

// stagesOf are the pipelines and their stages the generated records of a
// type are in: pipeline → stages.
func stagesOf(p *b24test.Portal, entity string, n int) map[string][]string {
	out := map[string][]string{}
	for id := 1; id <= n; id++ {
		rec, ok := p.Record(entity, id)
		if !ok {
			continue
		}
		cat, _ := rec["CATEGORY_ID"].(string)
		if st, _ := rec["STAGE_ID"].(string); st != "" && !slices.Contains(out[cat], st) {
			out[cat] = append(out[cat], st)
		}
	}
	return out
}

// spaFields are the user fields a smart process gets on top of its seeded
// ones, so that it has every kind: their codes and the enumeration's items.
type spaFields struct {
	integer, datetime, flag, labels  string
	files                            string // multiple file
	labelItems                       []string
	enumItems                        []string // the seeded PRIORITY's items
	contract, score, priority, money string
	date, tags, file, link           string
}

// addSPAFields adds an integer, a datetime, a boolean, a multiple
// enumeration and a multiple file field to the smart process and waits
// until Trail knows them.
func (r *reverts) addSPAFields(t *testing.T, spa crm.Type) spaFields {
	t.Helper()
	ctx := context.Background()
	c := adminREST(t, r.stack, r.p)
	var types struct {
		Types []struct {
			ID           int `json:"id"`
			EntityTypeID int `json:"entityTypeId"`
		} `json:"types"`
	}
	list, err := c.Call(ctx, "crm.type.list", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(list.Result, &types); err != nil {
		t.Fatal(err)
	}
	settings := 0
	for _, ty := range types.Types {
		if ty.EntityTypeID == int(spa) {
			settings = ty.ID
		}
	}
	if settings == 0 {
		t.Fatalf("crm.type.list lacks %d: %s", spa, list.Result)
	}
	p := fmt.Sprintf("UF_CRM_%d_", settings)
	fs := spaFields{integer: p + "COUNT", datetime: p + "MEETING", flag: p + "URGENT", labels: p + "LABELS", files: p + "SCANS",
		contract: p + "CONTRACT", score: p + "1747309727", priority: p + "PRIORITY", money: p + "BUDGET", date: p + "DUE_DATE",
		tags: p + "TAGS", file: p + "FILE1", link: p + "LINK"}
	add := func(name, typ string, multiple bool, enum []string) json.RawMessage {
		field := b24.Params{"entityId": fmt.Sprintf("CRM_%d", settings), "fieldName": name, "userTypeId": typ, "editFormLabel": b24.Params{"en": name}}
		if multiple {
			field["multiple"] = "Y"
		}
		if enum != nil {
			var items []any
			for _, v := range enum {
				items = append(items, map[string]any{"value": v})
			}
			field["enum"] = items
		}
		resp, err := c.Call(ctx, "userfieldconfig.add", b24.Params{"moduleId": "crm", "field": field})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Result
	}
	add(fs.integer, "integer", false, nil)
	add(fs.datetime, "datetime", false, nil)
	add(fs.flag, "boolean", false, nil)
	add(fs.files, "file", true, nil)
	var labels struct {
		Field struct {
			Enum []struct {
				ID json.RawMessage `json:"id"`
			} `json:"enum"`
		} `json:"field"`
	}
	if err := json.Unmarshal(add(fs.labels, "enumeration", true, []string{"north", "south", "east"}), &labels); err != nil {
		t.Fatal(err)
	}
	for _, it := range labels.Field.Enum {
		fs.labelItems = append(fs.labelItems, strings.Trim(string(it.ID), `"`))
	}
	if len(fs.labelItems) != 3 {
		t.Fatalf("the enumeration's items: %+v", labels)
	}
	trailtest.Eventually(t, "the smart process's new fields known", func() bool {
		raw, err := db.LoadMeta(ctx, r.DB.Bun, r.id, db.MetaFields(spa))
		return err == nil && strings.Contains(string(raw), fs.labels) && strings.Contains(string(raw), fs.files)
	})
	for _, it := range r.schema(t, spa).Field(fs.priority).Items {
		fs.enumItems = append(fs.enumItems, it.ID)
	}
	return fs
}

// TestRevertItemRoundTrip: every kind of field of a smart-process item —
// text, integer, double, money with its currency, dates, a time with its
// zone, yes/no, a list and a list of several, several texts, a CRM link,
// links to contacts and a company, the parent deal, observers, the
// pipeline with its stage — goes old → new → back to old, through a
// revert of the change, of one field, and as of a moment, as the portal's
// own crm.item.get reads it.
func TestRevertItemRoundTrip(t *testing.T) {
	t.Parallel()
	r, spa := newItemReverts(t)
	fs := r.addSPAFields(t, spa)
	stages := stagesOf(r.p, spa.String(), 8)
	var cats []string
	for c := range stages {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	if len(cats) < 2 {
		t.Fatalf("the smart process's items are in one pipeline only: %v", stages)
	}
	old := map[string]any{
		"TITLE": "Old title", "ASSIGNED_BY_ID": "2", "BEGINDATE": "2026-01-10", "CLOSEDATE": "2026-02-20",
		"OPPORTUNITY": "150.25", "CURRENCY_ID": "EUR", "COMPANY_ID": "1", "CONTACT_IDS": []string{"1", "2"},
		"OBSERVERS": []string{"3"}, "PARENT_ID_2": "1", "SOURCE_ID": "CALL", "OPENED": "Y",
		"CATEGORY_ID": cats[0], "STAGE_ID": stages[cats[0]][0],
		fs.contract: "old contract", fs.score: "1.5", fs.priority: fs.enumItems[0], fs.money: "100|USD",
		fs.date: "2026-03-04", fs.tags: []string{"alpha", "beta"}, fs.link: "D_1",
		fs.integer: "5", fs.datetime: "2026-03-04T10:15:00+03:00", fs.flag: "Y", fs.labels: fs.labelItems[:2],
	}
	newer := map[string]any{
		"TITLE": "New title", "ASSIGNED_BY_ID": "3", "BEGINDATE": "2026-04-01", "CLOSEDATE": "",
		"OPPORTUNITY": "999", "CURRENCY_ID": "USD", "COMPANY_ID": "2", "CONTACT_IDS": []string{"3"},
		"OBSERVERS": []string{"4", "5"}, "PARENT_ID_2": "2", "SOURCE_ID": "WEB", "OPENED": "N",
		"CATEGORY_ID": cats[1], "STAGE_ID": stages[cats[1]][0],
		fs.contract: "", fs.score: "7.25", fs.priority: fs.enumItems[2], fs.money: "2500.5|EUR",
		fs.date: "2026-09-30", fs.tags: []string{"gamma"}, fs.link: "C_2",
		fs.integer: "42", fs.datetime: "2026-11-05T23:45:00-05:00", fs.flag: "N", fs.labels: fs.labelItems[2:],
	}
	r.edit(t, spa.String(), 2, 2, map[string]any{"IS_MANUAL_OPPORTUNITY": "Y"})
	r.roundTrip(t, spa, 2, old, newer)
}

// TestRevertEstimateAndInvoiceRoundTrip: an estimate's and a smart
// invoice's fields of every kind they have round-trip the same way.
func TestRevertEstimateAndInvoiceRoundTrip(t *testing.T) {
	t.Parallel()
	r, _ := newItemReverts(t)
	r.edit(t, "quote", 2, 2, map[string]any{"IS_MANUAL_OPPORTUNITY": "Y"})
	r.roundTrip(t, crm.Quote, 2, map[string]any{
		"TITLE": "Old estimate", "STATUS_ID": "DRAFT", "OPPORTUNITY": "310.5", "CURRENCY_ID": "EUR", "COMPANY_ID": "1",
		"CONTACT_IDS": []string{"1", "2"}, "DEAL_ID": "1", "BEGINDATE": "2026-01-10", "CLOSEDATE": "2026-02-01",
		"COMMENTS": "old comment", "OPENED": "Y", "ASSIGNED_BY_ID": "2",
		"UF_CRM_1700000040": "old terms", "UF_CRM_1700000041": "20|USD",
	}, map[string]any{
		"TITLE": "New estimate", "STATUS_ID": "SENT", "OPPORTUNITY": "99", "CURRENCY_ID": "USD", "COMPANY_ID": "2",
		"CONTACT_IDS": []string{}, "DEAL_ID": "2", "BEGINDATE": "2026-05-05", "CLOSEDATE": "",
		"COMMENTS": "", "OPENED": "N", "ASSIGNED_BY_ID": "3",
		"UF_CRM_1700000040": "new terms", "UF_CRM_1700000041": "35.75|EUR",
	})

	// A field the portal derives, read-only in crm.item.fields, is listed
	// with the reason and not written.
	approved := r.edit(t, "quote", 2, 2, map[string]any{"STATUS_ID": "APPROVED"})
	if names := r.changed(t, crm.Quote, 2, approved); !slices.Contains(names, "CLOSED") {
		t.Fatalf("approving the estimate changed %v, want CLOSED among them", names)
	}
	f, _, _ := r.OpenTab(t, r.p, r.p.AdminID(), crm.Quote.DetailTab(), "2")
	page, _, ticked := preview(t, f, "quote", 2, approved, "")
	if !slices.Contains(ticked, "STATUS_ID") || slices.Contains(ticked, "CLOSED") ||
		!strings.Contains(trailtest.Between(page, `data-field="CLOSED"`, `</tr>`), "read-only in Bitrix24") {
		t.Errorf("CLOSED must be listed as read-only and STATUS_ID ticked; ticked %v:\n%s", ticked, page)
	}

	stages := stagesOf(r.p, "smart_invoice", 6)
	var all []string
	for _, s := range stages {
		all = append(all, s...)
	}
	slices.Sort(all)
	if len(all) < 2 {
		t.Fatalf("the invoices are in one stage only: %v", stages)
	}
	r.edit(t, "smart_invoice", 2, 2, map[string]any{"IS_MANUAL_OPPORTUNITY": "Y"})
	r.roundTrip(t, crm.SmartInvoice, 2, map[string]any{
		"TITLE": "Old invoice", "STAGE_ID": all[0], "BEGINDATE": "2026-01-10", "CLOSEDATE": "2026-02-01",
		"COMPANY_ID": "1", "CONTACT_IDS": []string{"2"}, "PARENT_ID_2": "1", "PARENT_ID_7": "1", "OBSERVERS": []string{"3"},
		"COMMENTS": "old comment", "ACCOUNT_NUMBER": "INV-1", "OPPORTUNITY": "75", "CURRENCY_ID": "EUR",
		"UF_CRM_SMART_INVOICE_1700000050": "PO-1",
	}, map[string]any{
		"TITLE": "New invoice", "STAGE_ID": all[1], "BEGINDATE": "2026-06-01", "CLOSEDATE": "",
		"COMPANY_ID": "", "CONTACT_IDS": []string{"3", "4"}, "PARENT_ID_2": "2", "PARENT_ID_7": "", "OBSERVERS": []string{},
		"COMMENTS": "new comment", "ACCOUNT_NUMBER": "INV-2", "OPPORTUNITY": "1075.5", "CURRENCY_ID": "USD",
		"UF_CRM_SMART_INVOICE_1700000050": "",
	})
}

// TestRevertItemRowsAndFiles: on every item type, product rows come back
// as a set (and go, when there were none); a file added to an empty field
// goes; in a field of several files the added one goes and the others are
// kept by id; a replaced file, which the portal no longer holds, is
// skipped with the reason.
func TestRevertItemRowsAndFiles(t *testing.T) {
	t.Parallel()
	r, spa := newItemReverts(t)
	fs := r.addSPAFields(t, spa)
	const id = 3
	for _, ty := range []crm.Type{crm.Quote, crm.SmartInvoice, spa} {
		r.edit(t, ty.String(), id, 2, map[string]any{"TITLE": "warm-up"})
		f, _, _ := r.OpenTab(t, r.p, r.p.AdminID(), ty.DetailTab(), itoaInt(id))
		rows := func(rows ...map[string]any) int64 {
			last := r.lastChange(t, ty, id)
			if err := r.p.SetProductRows(ty.String(), id, 2, rows); err != nil {
				t.Fatal(err)
			}
			return r.nextChange(t, ty, id, last)
		}
		rows(map[string]any{"PRODUCT_NAME": "Sofa", "PRICE": 100, "QUANTITY": 2}, map[string]any{"PRODUCT_ID": 1, "PRICE": 10, "QUANTITY": 3})
		before := r.itemRows(t, ty, id)
		change := rows(map[string]any{"PRODUCT_NAME": "Chair", "PRICE": 40, "QUANTITY": 1})
		if body := revertAll(t, f, ty.String(), id, change); outcome(body, history.ProductRows) != db.OutcomeWritten {
			t.Fatalf("%s rows: %s", ty, body)
		}
		if got := r.itemRows(t, ty, id); !slices.Equal(got, before) {
			t.Errorf("%s: rows after the revert %v, want %v", ty, got, before)
		}
		r.reverted(t, ty, id, change)
		rows()
		change = rows(map[string]any{"PRODUCT_NAME": "Lamp", "PRICE": 5, "QUANTITY": 1}, map[string]any{"PRODUCT_NAME": "Rug", "PRICE": 7, "QUANTITY": 2})
		if body := revertAll(t, f, ty.String(), id, change); outcome(body, history.ProductRows) != db.OutcomeWritten {
			t.Fatalf("%s rows: %s", ty, body)
		}
		if got := r.itemRows(t, ty, id); len(got) != 0 {
			t.Errorf("%s: rows after the revert %v, want none", ty, got)
		}
		r.reverted(t, ty, id, change)
	}

	attach := func(ty crm.Type, field, name string) int64 {
		last := r.lastChange(t, ty, id)
		if _, err := r.p.AttachFile(ty.String(), id, 2, field, name, []byte("%PDF "+name)); err != nil {
			t.Fatal(err)
		}
		return r.nextChange(t, ty, id, last)
	}
	for ty, field := range map[crm.Type]string{crm.SmartInvoice: "UF_CRM_SMART_INVOICE_1700000051", spa: fs.file} {
		f, _, _ := r.OpenTab(t, r.p, r.p.AdminID(), ty.DetailTab(), itoaInt(id))
		attach(ty, field, "seed.pdf")
		r.edit(t, ty.String(), id, 2, map[string]any{field: ""})
		before := r.itemGet(t, ty, id)
		added := attach(ty, field, "added.pdf")
		if body := revertAll(t, f, ty.String(), id, added); outcome(body, field) != db.OutcomeWritten {
			t.Fatalf("%s added file: %s", ty, body)
		}
		r.sameState(t, ty, "after the revert of an added file", before, r.itemGet(t, ty, id), []string{field})
		r.reverted(t, ty, id, added)
		attach(ty, field, "one.pdf")
		replaced := attach(ty, field, "two.pdf")
		page, _, ticked := preview(t, f, ty.String(), id, replaced, "")
		if slices.Contains(ticked, field) || !strings.Contains(trailtest.Between(page, `data-field="`+field+`"`, `</tr>`), "no longer has this file") {
			t.Errorf("%s: a replaced file must be skipped with the reason; ticked %v:\n%s", ty, ticked, page)
		}
	}

	f, _, _ := r.OpenTab(t, r.p, r.p.AdminID(), spa.DetailTab(), itoaInt(id))
	attach(spa, fs.files, "kept.pdf")
	before := r.itemGet(t, spa, id)
	added := attach(spa, fs.files, "added.pdf")
	if body := revertAll(t, f, spa.String(), id, added); outcome(body, fs.files) != db.OutcomeWritten {
		t.Fatalf("added file among several: %s", body)
	}
	r.sameState(t, spa, "after the revert of a file added to several", before, r.itemGet(t, spa, id), []string{fs.files})
	if v := history.Normalize(r.schema(t, spa).Field(fs.files), before[fs.files]); len(v.List) != 1 {
		t.Errorf("the kept file: %v, want one file", v)
	}
}

// TestRevertLegacyTypesRoundTrip: a lead's, a contact's and a company's
// fields round-trip like a deal's: multi-field items (phones, e-mails,
// websites, messengers) come back by item id when removed, go when added
// and get their old value when edited; linked contacts and companies come
// back as a list.
func TestRevertLegacyTypesRoundTrip(t *testing.T) {
	t.Parallel()
	r := newReverts(t)
	items := func(entity string, id int) map[string][]map[string]any {
		t.Helper()
		rec := r.get(t, entity, id)
		out := map[string][]map[string]any{}
		for _, kind := range []string{"PHONE", "EMAIL", "WEB", "IM"} {
			var vs []struct{ ID string }
			_ = json.Unmarshal(rec[kind], &vs)
			var ops []map[string]any
			for i, v := range vs {
				if i == 0 {
					ops = append(ops, map[string]any{"ID": v.ID, "DELETE": "Y"})
				} else {
					ops = append(ops, map[string]any{"ID": v.ID, "VALUE": "edited-" + strconv.Itoa(i) + "@example.com", "VALUE_TYPE": "OTHER"})
				}
			}
			out[kind] = append(ops, map[string]any{"VALUE": "added-" + strings.ToLower(kind) + "@example.com", "VALUE_TYPE": "WORK"})
		}
		return out
	}
	// The old state: two items of each kind, so that one is removed and
	// one edited by the change.
	twoEach := map[string]any{
		"PHONE": []map[string]any{{"VALUE": "+100", "VALUE_TYPE": "WORK"}, {"VALUE": "+200", "VALUE_TYPE": "MOBILE"}},
		"EMAIL": []map[string]any{{"VALUE": "a@example.com", "VALUE_TYPE": "WORK"}, {"VALUE": "b@example.com", "VALUE_TYPE": "HOME"}},
		"WEB":   []map[string]any{{"VALUE": "a.example.com", "VALUE_TYPE": "WORK"}, {"VALUE": "b.example.com", "VALUE_TYPE": "HOME"}},
		"IM":    []map[string]any{{"VALUE": "alice", "VALUE_TYPE": "TELEGRAM"}, {"VALUE": "bob", "VALUE_TYPE": "SKYPE"}},
	}
	for _, c := range []struct {
		entity     string
		id         int
		old, newer map[string]any
	}{
		{"lead", 2, map[string]any{"TITLE": "Old lead", "STATUS_ID": "NEW", "OPPORTUNITY": "40", "CURRENCY_ID": "EUR", "SOURCE_ID": "CALL",
			"UF_CRM_1700000101": "old campaign", "UF_CRM_1700000102": "55", "UF_CRM_1700000103": "1.5", "UF_CRM_1700000104": "2026-01-02", "UF_CRM_1700000105": []string{"x", "y"}},
			map[string]any{"TITLE": "New lead", "STATUS_ID": "IN_PROCESS", "OPPORTUNITY": "80.5", "CURRENCY_ID": "USD", "SOURCE_ID": "WEB",
				"UF_CRM_1700000101": "", "UF_CRM_1700000102": "57", "UF_CRM_1700000103": "9", "UF_CRM_1700000104": "2026-12-31", "UF_CRM_1700000105": []string{"z"}}},
		{"contact", 2, map[string]any{"NAME": "Old", "LAST_NAME": "Name", "POST": "old post", "COMPANY_IDS": []string{"1", "2"}, "UF_CRM_1700000201": "old channel"},
			map[string]any{"NAME": "New", "LAST_NAME": "Surname", "POST": "", "COMPANY_IDS": []string{"3"}, "UF_CRM_1700000201": "new channel"}},
		{"company", 2, map[string]any{"TITLE": "Old company", "REVENUE": "1000", "INDUSTRY": "IT", "UF_CRM_1700000301": "old tax"},
			map[string]any{"TITLE": "New company", "REVENUE": "2500.75", "INDUSTRY": "MANUFACTURING", "UF_CRM_1700000301": ""}},
	} {
		ty := crmType(t, c.entity)
		r.edit(t, c.entity, c.id, 2, twoEach)
		for kind, ops := range items(c.entity, c.id) {
			c.newer[kind] = ops
		}
		keys := make([]string, 0, len(c.old)+4)
		for k := range c.old {
			keys = append(keys, k)
		}
		keys = append(keys, "PHONE", "EMAIL", "WEB", "IM")
		r.edit(t, c.entity, c.id, 2, c.old)
		before := r.get(t, c.entity, c.id)
		change := r.edit(t, c.entity, c.id, 2, c.newer)
		f, _, _ := r.OpenTab(t, r.p, r.p.AdminID(), ty.DetailTab(), itoaInt(c.id))
		body := revertAll(t, f, c.entity, c.id, change)
		for _, k := range keys {
			if o := outcome(body, k); o != db.OutcomeWritten {
				t.Errorf("%s %s: outcome %q, want written", c.entity, k, o)
			}
		}
		after := r.get(t, c.entity, c.id)
		r.sameState(t, ty, "after the revert", before, after, slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return strings.HasSuffix(k, "_IDS") }))
		r.reverted(t, ty, c.id, change)
		// Links are read apart from the get: compared as Trail stored them.
		for _, k := range keys {
			if strings.HasSuffix(k, "_IDS") {
				want := history.Normalize(history.Field{Type: history.TypeCompany, Multiple: true}, mustMarshal(t, c.old[k]))
				got := history.Normalize(history.Field{Type: history.TypeCompany, Multiple: true}, storedField(t, r, ty, c.id, k))
				if !want.Equal(got) {
					t.Errorf("%s %s after the revert = %v, want %v", c.entity, k, got, want)
				}
			}
		}
	}
	// A company's linked contacts.
	const company = 3
	r.edit(t, "company", company, 2, map[string]any{"TITLE": "warm-up"})
	last := r.lastChange(t, crm.Company, company)
	hook(t, r.stack, r.p, "crm.company.contact.items.set", map[string]any{"id": company, "items": []map[string]any{{"CONTACT_ID": 1}, {"CONTACT_ID": 2}}})
	r.nextChange(t, crm.Company, company, last)
	before := storedField(t, r, crm.Company, company, "CONTACT_IDS")
	last = r.lastChange(t, crm.Company, company)
	hook(t, r.stack, r.p, "crm.company.contact.items.set", map[string]any{"id": company, "items": []map[string]any{{"CONTACT_ID": 4}}})
	change := r.nextChange(t, crm.Company, company, last)
	f, _, _ := r.OpenTab(t, r.p, r.p.AdminID(), crm.Company.DetailTab(), itoaInt(company))
	if body := revertAll(t, f, "company", company, change); outcome(body, "CONTACT_IDS") != db.OutcomeWritten {
		t.Fatalf("company contacts: %s", body)
	}
	r.reverted(t, crm.Company, company, change)
	links := history.Field{Type: history.TypeContact, Multiple: true}
	if got, want := history.Normalize(links, storedField(t, r, crm.Company, company, "CONTACT_IDS")), history.Normalize(links, before); !got.Equal(want) {
		t.Errorf("company contacts after the revert = %v, want %v", got, want)
	}
}

func mustMarshal(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// storedField is a field of the record's state as Trail last stored it.
func storedField(t *testing.T, r *reverts, ty crm.Type, id int, field string) json.RawMessage {
	t.Helper()
	s, err := history.ParseSnapshot(r.Snapshot(t, r.id, ty, int64(id)).Data)
	if err != nil {
		t.Fatal(err)
	}
	return s[field]
}

// TestRevertItemRights: the portal decides with the user's own token on
// items too. The own-records user reads a smart-process item since
// reassigned to someone else only through Trail's tab, and cannot put it
// back: the portal's reason is shown, and nothing is written.
func TestRevertItemRights(t *testing.T) {
	t.Parallel()
	r, spa := newItemReverts(t)
	own := r.p.OwnRecordsUserID()
	const id = 4
	r.edit(t, spa.String(), id, 1, map[string]any{"ASSIGNED_BY_ID": itoaInt(own)})
	f, status, _ := r.OpenTab(t, r.p, own, spa.DetailTab(), itoaInt(id))
	if status != 200 {
		t.Fatalf("own-records user's tab = %d", status)
	}
	change := r.edit(t, spa.String(), id, 1, map[string]any{"ASSIGNED_BY_ID": "2", "TITLE": "taken away"})
	body, key, _ := preview(t, f, spa.String(), id, change, "")
	if key != "" || outcome(body, "TITLE") != db.OutcomeRefused || !strings.Contains(body, "Access denied") {
		t.Fatalf("the portal's refusal must be shown:\n%s", body)
	}
	if got := string(r.itemGet(t, spa, id)["TITLE"]); got != `"taken away"` {
		t.Errorf("TITLE = %s: nothing may be written", got)
	}
}

func author(id *int64) string {
	if id == nil {
		return "nobody"
	}
	return itoa64(*id)
}
