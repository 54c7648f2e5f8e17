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
		if st.Entity == et && st.State == db.SyncDone && s.ExtrasDone(t, portalID, et) {
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
	// A user field added to it (ONCRMTYPEUSERFIELDADD) is read again, its
	// code as the portal gives it, its label in the portal's words.
	weight := fmt.Sprintf("UF_CRM_%d_WEIGHT", added.Type.ID)
	if _, err := c.Call(ctx, "userfieldconfig.add", b24.Params{"moduleId": "crm", "field": b24.Params{
		"entityId": fmt.Sprintf("CRM_%d", added.Type.ID), "fieldName": weight, "userTypeId": "double",
		"editFormLabel": b24.Params{"en": "Gross weight"},
	}}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the new field's metadata", func() bool {
		raw, err := db.LoadMeta(ctx, s.DB.Bun, id, db.MetaFields(ship))
		return err == nil && strings.Contains(string(raw), weight) && strings.Contains(string(raw), "Gross weight")
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
	if _, err := c.Call(ctx, "crm.item.update", b24.Params{"entityTypeId": int(ship), "id": item.Item.ID, "useOriginalUfNames": "Y",
		"fields": b24.Params{"title": "Second title", weight: 12.5}}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the new type's item recorded", func() bool {
		return trailtest.ByField(s.History(t, id, ship, item.Item.ID), "TITLE") >= 1
	})
	// The addition and the edit may reach Trail as one change or two.
	trailtest.Eventually(t, "the item's weight", func() bool {
		return trailtest.ByField(s.History(t, id, ship, item.Item.ID), weight) == 1
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
	kept := s.History(t, id, ship, item.Item.ID)
	var actions []string
	for _, r := range kept {
		actions = append(actions, r.Action+" "+r.Field)
	}
	if len(fieldRows(kept, weight)) == 0 || !slices.Contains(actions, "deleted TITLE") || slices.Contains(actions, "created entityTypeId") {
		t.Errorf("deleted type's history %q: want the changes and the item's deletion kept", actions)
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

// TestSmartProcessTabsIsolatedAndChecked: the tab routes of smart-process
// items and estimates, as portal A's people could use them, show A's
// history only, open only for a user who may read the item, and cover only
// the item the session was opened for; events naming portal B's items with
// A's tokens change nothing of B.
func TestSmartProcessTabsIsolatedAndChecked(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{
		Portals: 2, Deals: 3, Quotes: 3, SmartProcesses: 1, SmartProcessItems: 5, Seed: 11,
	}})
	a, b := s.Emu.Portals()[0], s.Emu.Portals()[1]
	for _, p := range []*b24test.Portal{a, b} {
		if _, err := p.Install(); err != nil {
			t.Fatal(err)
		}
	}
	aID, bID := s.Installed(t, a), s.Installed(t, b)
	var spa crm.Type
	for _, f := range s.FoundTypes(t, aID) {
		if f.Type.Dynamic() {
			spa = f.Type
		}
	}
	if _, ok := db.Found(s.FoundTypes(t, bID), spa); spa == 0 || !ok {
		t.Fatalf("want both portals to have smart process %d", spa)
	}
	const aMarker, bMarker = "Item seen only by portal A", "Item seen only by portal B"
	if err := a.UpdateRecord(spa.String(), 3, 2, map[string]any{"TITLE": aMarker}); err != nil {
		t.Fatal(err)
	}
	if err := b.UpdateRecord(spa.String(), 3, 2, map[string]any{"TITLE": bMarker}); err != nil {
		t.Fatal(err)
	}
	if err := b.UpdateRecord("quote", 3, 2, map[string]any{"TITLE": bMarker}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the three changes", func() bool {
		return len(s.History(t, aID, spa, 3)) == 1 && len(s.History(t, bID, spa, 3)) == 1 && len(s.History(t, bID, crm.Quote, 3)) == 1
	})
	bRows := len(s.HistoryOf(t, bID))

	f, status, body := s.OpenTab(t, a, a.AdminID(), spa.DetailTab(), "3")
	if status != 200 || !strings.Contains(body, aMarker) || strings.Contains(body, bMarker) {
		t.Fatalf("A's item tab = %d, want A's change only", status)
	}
	base := "/tab/" + spa.String() + "/3"
	for _, path := range []string{base + "/entries", base + "/export.csv"} {
		status, got := f.Get(path)
		if status != 200 || !strings.Contains(got, aMarker) || strings.Contains(got, bMarker) {
			t.Errorf("%s = %d: want A's change, never B's", path, status)
		}
		if status, _ := s.Page(t, "").Get(path); status != 401 {
			t.Errorf("%s without a session = %d, want 401", path, status)
		}
	}
	// The session covers this item only: not another item, not the same
	// number of another type.
	for _, path := range []string{"/tab/" + spa.String() + "/4/entries", "/tab/quote/3/entries", "/tab/deal/3/entries", "/tab/smart_invoice/3/export.csv"} {
		if status, got := f.Get(path); status != 401 || strings.Contains(got, bMarker) {
			t.Errorf("%s with item 3's session = %d, want 401", path, status)
		}
	}
	// A's token at B's member_id, and a user without the read right.
	form := trailtest.FrameForm(t, a, a.AdminID(), spa.DetailTab(), `{"ID":"3"}`)
	form.Set("member_id", b.MemberID())
	form.Del("REFRESH_ID")
	if resp, got := s.PostFrame(t, "/bitrix/tab", a.Domain(), form); resp.StatusCode < 400 || strings.Contains(got, bMarker) {
		t.Errorf("A's token opening B's item = %d, want refused", resp.StatusCode)
	}
	sessions := s.Sessions(t)
	for _, ty := range []crm.Type{spa, crm.Quote} {
		id := notAssignedTo(t, a, ty, 4)
		if _, status, _ := s.OpenTab(t, a, 4, ty.DetailTab(), id); status != 403 {
			t.Errorf("%s %s tab for a user who may not read it = %d, want 403", ty, id, status)
		}
		if own := assignedTo(a, ty, 4); own != "" {
			if _, status, _ := s.OpenTab(t, a, 4, ty.DetailTab(), own); status != 200 {
				t.Errorf("%s %s tab for the user it is assigned to = %d, want 200", ty, own, status)
			}
			sessions++
		}
	}
	if n := s.Sessions(t); n != sessions {
		t.Errorf("refused tabs left %d sessions", n-sessions)
	}
	// Events for B's items signed with A's tokens change nothing of B.
	tok, err := a.IssueTokens(a.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range [][2]string{{"ONCRMDYNAMICITEMUPDATE", strconv.Itoa(int(spa))}, {"ONCRMQUOTEUPDATE", ""}} {
		form := map[string][]string{
			"event": {ev[0]}, "data[FIELDS][ID]": {"3"}, "data[FIELDS][ENTITY_TYPE_ID]": {ev[1]},
			"auth[access_token]": {tok.AccessToken}, "auth[domain]": {b.Domain()}, "auth[member_id]": {b.MemberID()},
			"auth[application_token]": {a.ApplicationToken()}, "auth[client_endpoint]": {a.ClientEndpoint()},
		}
		if resp, _ := s.Do(t, "POST", "/bitrix/events", form, nil); resp.StatusCode < 400 {
			t.Errorf("%s for B with A's tokens = %d, want refused", ev[0], resp.StatusCode)
		}
	}
	if n := len(s.HistoryOf(t, bID)); n != bRows || s.InboxDepth(t, bID) != 0 {
		t.Errorf("portal B: %d history rows (had %d), inbox %d", n, bRows, s.InboxDepth(t, bID))
	}
}

// notAssignedTo is an id (1–3) of a record of t that user does not own.
func notAssignedTo(t *testing.T, p *b24test.Portal, ty crm.Type, user int) string {
	t.Helper()
	for id := 1; id <= 3; id++ {
		if rec, ok := p.Record(ty.String(), id); ok && fmt.Sprint(rec["ASSIGNED_BY_ID"]) != strconv.Itoa(user) {
			return strconv.Itoa(id)
		}
	}
	t.Fatalf("every %s is assigned to user %d", ty, user)
	return ""
}

// assignedTo is an id (1–5) of a record of t that user owns, or "".
func assignedTo(p *b24test.Portal, ty crm.Type, user int) string {
	for id := 1; id <= 5; id++ {
		if rec, ok := p.Record(ty.String(), id); ok && fmt.Sprint(rec["ASSIGNED_BY_ID"]) == strconv.Itoa(user) {
			return strconv.Itoa(id)
		}
	}
	return ""
}
