package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
)

// adminREST calls the portal's REST API as its administrator would (an
// incoming webhook): what a person does in the portal, not Trail.
func adminREST(t *testing.T, s *stack, p *b24test.Portal) *b24.Client {
	t.Helper()
	return b24.New(b24.Webhook{URL: p.WebhookURL()}, b24.Options{HTTPClient: s.Emu.Client(), BackoffBase: time.Millisecond, BackoffMax: 10 * time.Millisecond})
}

func tabBound(p *b24test.Portal, base string, t crm.Type) bool {
	for _, pl := range p.Placements() {
		if pl.Code == t.DetailTab() && pl.Handler == base+"/bitrix/tab" {
			return true
		}
	}
	return false
}

func syncDone(t *testing.T, s *stack, portalID int64, et crm.Type) bool {
	for _, st := range s.Syncs(t, portalID) {
		if st.Entity == et && st.State == db.SyncDone {
			return true
		}
	}
	return false
}

func fieldRows(rows []db.HistoryRow, field string) []db.HistoryRow {
	var out []db.HistoryRow
	for _, r := range rows {
		if r.Field == field {
			out = append(out, r)
		}
	}
	return out
}

// TestSmartProcessesQuotesAndInvoicesRecorded: on an installed portal,
// estimates, smart invoices and smart processes get their tabs, events and
// baseline with no admin action; their changes are recorded, user fields
// of every kind included; a smart process created later is found through
// ONCRMTYPEADD and one deleted is unbound with its history kept.
func TestSmartProcessesQuotesAndInvoicesRecorded(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{
		Portals: 2, Deals: 5, Quotes: 4, SmartInvoices: 4, SmartProcesses: 1, SmartProcessItems: 30, Seed: 7,
	}})
	p, other := s.Emu.Portals()[0], s.Emu.Portals()[1]
	for _, x := range []*b24test.Portal{p, other} {
		if _, err := x.Install(); err != nil {
			t.Fatal(err)
		}
	}
	id := s.Installed(t, p)
	otherID := s.Installed(t, other)

	var spa db.FoundType
	for _, f := range s.FoundTypes(t, id) {
		if f.Type.Dynamic() {
			spa = f
		}
	}
	if spa.Type == 0 || spa.Title == "" || spa.ID == 0 {
		t.Fatalf("found types %+v: want the seeded smart process with its title and settings id", s.FoundTypes(t, id))
	}
	for _, ty := range []crm.Type{crm.Quote, crm.SmartInvoice, spa.Type} {
		if !slices.Contains(s.Tracked(t, id), ty) || !tabBound(p, s.Base, ty) {
			t.Errorf("%s: tracked %v, tab bound %v; want both without an admin's action", ty, s.Tracked(t, id), tabBound(p, s.Base, ty))
		}
	}
	if n := s.Snapshots(t, id, spa.Type); n != 30 {
		t.Errorf("%d smart-process items in the baseline, want 30", n)
	}
	if n := s.Snapshots(t, id, crm.Quote, crm.SmartInvoice); n != 8 {
		t.Errorf("%d estimates and invoices in the baseline, want 8", n)
	}

	// An estimate and an invoice change.
	if err := p.UpdateRecord("quote", 2, 2, map[string]any{"TITLE": "Estimate edited"}); err != nil {
		t.Fatal(err)
	}
	if err := p.UpdateRecord("smart_invoice", 3, 2, map[string]any{"TITLE": "Invoice edited"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the estimate's and the invoice's changes", func() bool {
		return trailtest.ByField(s.History(t, id, crm.Quote, 2), "TITLE") == 1 && trailtest.ByField(s.History(t, id, crm.SmartInvoice, 3), "TITLE") == 1
	})
	if r := fieldRows(s.History(t, id, crm.Quote, 2), "TITLE")[0]; trailtest.Text(r.NewValue) != "Estimate edited" || r.AuthorID == nil || *r.AuthorID != 2 {
		t.Errorf("estimate change %s by %v", r.NewValue, r.AuthorID)
	}

	// A smart-process item's user fields of every kind change at once.
	uf := "UF_CRM_" + strconv.FormatInt(spa.ID, 10) + "_"
	entity := spa.Type.String()
	// A list item other than the one the item has: Low, Medium, High.
	labels := []string{"Low", "Medium", "High"}
	rec, _ := p.Record(entity, 5)
	pick := 2
	if fmt.Sprint(rec[uf+"PRIORITY"]) == strconv.FormatInt(1000+spa.ID*10+2, 10) {
		pick = 0
	}
	priority, priorityLabel := strconv.FormatInt(1000+spa.ID*10+int64(pick), 10), labels[pick]
	change := map[string]any{
		"TITLE":           "Item edited",
		uf + "PRIORITY":   priority,
		uf + "BUDGET":     "321.5|USD",
		uf + "DUE_DATE":   "2026-03-04",
		uf + "TAGS":       []string{"alpha", "beta"},
		uf + "LINK":       "D_2",
		uf + "1747309727": 7.25,
		uf + "CONTRACT":   "C-77",
	}
	if err := p.UpdateRecord(entity, 5, 2, change); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the item's change", func() bool {
		return trailtest.ByField(s.History(t, id, spa.Type, 5), "TITLE") == 1
	})
	rows := s.History(t, id, spa.Type, 5)
	for field := range change {
		// A multiple field has a row per value added or removed.
		if n := len(fieldRows(rows, field)); n != 1 && (field != uf+"TAGS" || n < 2) {
			t.Errorf("%s: %d history rows (rows: %+v)", field, n, rows)
		}
	}
	if r := fieldRows(rows, uf+"PRIORITY"); len(r) == 1 && !strings.Contains(string(r[0].NewValue), priority) {
		t.Errorf("priority recorded as %s, want the list item %s", r[0].NewValue, priority)
	}
	var tags []string
	for _, r := range fieldRows(rows, uf+"TAGS") {
		if r.ChangeKind == "added" {
			tags = append(tags, trailtest.Text(r.NewValue))
		}
	}
	if slices.Sort(tags); !slices.Equal(tags, []string{"alpha", "beta"}) {
		t.Errorf("tags added %v, want alpha and beta", tags)
	}
	if r := fieldRows(rows, "DATE_MODIFY"); len(r) != 0 {
		t.Errorf("bookkeeping field recorded: %+v", r)
	}

	// The item's tab, as the portal opens it, and the tab's routes by the
	// type's name; a user who may not read the item gets none.
	f, status, body := s.OpenTab(t, p, p.AdminID(), spa.Type.DetailTab(), "5")
	if status != 200 || !strings.Contains(body, "Item edited") || !strings.Contains(body, priorityLabel) || !strings.Contains(body, "321.50 USD") {
		t.Fatalf("smart-process tab = %d:\n%s", status, body)
	}
	if status, frag := f.Get("/tab/" + entity + "/5/entries"); status != 200 || !strings.Contains(frag, "Item edited") {
		t.Errorf("entries of /tab/%s/5 = %d", entity, status)
	}
	if status, csv := f.Get("/tab/" + entity + "/5/export.csv"); status != 200 || !strings.Contains(csv, "Item edited") {
		t.Errorf("export of /tab/%s/5 = %d", entity, status)
	}
	if status, _ := f.Get("/tab/quote/2/entries"); status != 401 {
		t.Errorf("an estimate with the item's session = %d, want 401", status)
	}
	if _, status, _ := s.OpenTab(t, p, 4, spa.Type.DetailTab(), "5"); status != 403 {
		t.Errorf("tab for a user who may not read the item = %d, want 403", status)
	}
	if _, status, body := s.OpenTab(t, p, p.AdminID(), crm.Quote.DetailTab(), "2"); status != 200 || !strings.Contains(body, "Estimate edited") {
		t.Errorf("estimate tab = %d", status)
	}
	// The other portal has its own smart process with the same number:
	// nothing of this portal's history is in it.
	if n := len(s.History(t, otherID, spa.Type, 5)); n != 0 {
		t.Errorf("other portal has %d history rows of item 5", n)
	}

	// A smart process created later: found through ONCRMTYPEADD, with its
	// tab, baseline and changes, no admin action needed.
	ctx := context.Background()
	c := adminREST(t, s, p)
	var added struct {
		Type struct {
			ID           int64 `json:"id"`
			EntityTypeID int   `json:"entityTypeId"`
		} `json:"type"`
	}
	resp, err := c.Call(ctx, "crm.type.add", b24.Params{"fields": b24.Params{"title": "Shipments"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(resp.Result, &added); err != nil || added.Type.EntityTypeID == 0 {
		t.Fatalf("crm.type.add = %s %v", resp.Result, err)
	}
	ship := crm.Type(added.Type.EntityTypeID)
	trailtest.Eventually(t, "the new smart process tracked with its tab and baseline", func() bool {
		f, ok := db.Found(s.FoundTypes(t, id), ship)
		return ok && f.Title == "Shipments" && tabBound(p, s.Base, ship) && syncDone(t, s, id, ship)
	})
	resp, err = c.Call(ctx, "crm.item.add", b24.Params{"entityTypeId": int(ship), "fields": b24.Params{"title": "First shipment"}})
	if err != nil {
		t.Fatal(err)
	}
	var item struct {
		Item struct {
			ID int64 `json:"id"`
		} `json:"item"`
	}
	if err := json.Unmarshal(resp.Result, &item); err != nil || item.Item.ID == 0 {
		t.Fatalf("crm.item.add = %s %v", resp.Result, err)
	}
	if _, err := c.Call(ctx, "crm.item.update", b24.Params{"entityTypeId": int(ship), "id": item.Item.ID, "fields": b24.Params{"title": "Second title"}}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the new type's item recorded", func() bool {
		return trailtest.ByField(s.History(t, id, ship, item.Item.ID), "TITLE") == 1
	})

	// Deleted: no longer tracked, its tab unbound, its history kept and
	// listed as deleted in settings.
	if _, err := c.Call(ctx, "crm.item.delete", b24.Params{"entityTypeId": int(ship), "id": item.Item.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call(ctx, "crm.type.delete", b24.Params{"id": added.Type.ID}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the deleted smart process unbound", func() bool {
		f, ok := db.Found(s.FoundTypes(t, id), ship)
		return ok && f.Deleted && !slices.Contains(s.Tracked(t, id), ship) && !tabBound(p, s.Base, ship)
	})
	if n := trailtest.ByField(s.History(t, id, ship, item.Item.ID), "TITLE"); n != 1 {
		t.Errorf("deleted type's history: %d title rows, want 1 kept", n)
	}
	app, status, page := s.OpenApp(t, p, p.AdminID())
	if status != 200 || !strings.Contains(page, "Shipments") || !strings.Contains(page, "Deleted from the portal") || !strings.Contains(page, spa.Title) {
		t.Fatalf("settings page = %d, lacks the types:\n%s", status, page)
	}
	// A deleted or foreign type cannot be turned on.
	form := map[string][]string{"entity": {"deal", ship.String()}, "retention_days": {"30"}}
	if status, _ := app.Do("POST", "/settings/tracking", form); status != 400 {
		t.Errorf("tracking a deleted type = %d, want 400", status)
	}
	form["entity"] = []string{"deal", fmt.Sprintf("dynamic_%d", 1100)}
	if status, _ := app.Do("POST", "/settings/tracking", form); status != 400 {
		t.Errorf("tracking a type the portal lacks = %d, want 400", status)
	}
}
