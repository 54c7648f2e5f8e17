package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
)

// rowChangesOf are the product-row changes of a record's history, as
// "kind name" ("added Sofa").
func rowChangesOf(t *testing.T, s *stack, portalID int64, ty crm.Type, id int64) []string {
	t.Helper()
	var out []string
	for _, r := range s.History(t, portalID, ty, id) {
		if r.Field != history.ProductRows {
			continue
		}
		raw := r.NewValue
		if r.ChangeKind == "removed" {
			raw = r.OldValue
		}
		var v history.Value
		_ = json.Unmarshal(raw, &v)
		row, _ := history.ParseRow(v)
		out = append(out, r.ChangeKind+" "+row.Name)
	}
	slices.Sort(out)
	return out
}

// TestProductRowsOnEveryType: the product rows of estimates, smart
// invoices and smart-process items with products are in their baseline,
// and rows added, changed and removed are recorded like a deal's; a smart
// process without products is never asked for rows (the portal would
// answer an error and its changes would wait), and its changes are
// recorded.
func TestProductRowsOnEveryType(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{
		Portals: 1, Deals: 1, Quotes: 2, SmartInvoices: 2, SmartProcesses: 1, SmartProcessItems: 2, Seed: 5,
	}})
	p := s.Emu.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	id := s.Installed(t, p)
	var spa db.FoundType
	for _, f := range s.FoundTypes(t, id) {
		if f.Type.Dynamic() {
			spa = f
		}
	}
	if spa.Type == 0 || !spa.Products {
		t.Fatalf("found types %+v: want the seeded smart process with products", s.FoundTypes(t, id))
	}
	types := []crm.Type{crm.Quote, crm.SmartInvoice, spa.Type}
	for _, ty := range types {
		trailtest.Eventually(t, ty.String()+"'s baseline", func() bool { return syncDone(t, s, id, ty) })
		if snap := s.Snapshot(t, id, ty, 1); snap == nil || !strings.Contains(string(snap.Data), `"PRODUCT_ROWS"`) {
			t.Errorf("%s 1: the baseline lacks its product rows", ty)
		}
		err := p.SetProductRows(ty.String(), 1, 2, []map[string]any{
			{"PRODUCT_NAME": "Sofa", "PRICE": 100, "QUANTITY": 2},
			{"PRODUCT_NAME": "Chair", "PRICE": 40, "QUANTITY": 1},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, ty := range types {
		trailtest.Eventually(t, ty.String()+"'s rows added", func() bool {
			got := rowChangesOf(t, s, id, ty, 1)
			return slices.Contains(got, "added Sofa") && slices.Contains(got, "added Chair")
		})
		rows, _ := p.ProductRows(ty.String(), 1)
		ids := map[string]any{}
		for _, r := range rows {
			ids[r["PRODUCT_NAME"].(string)] = r["ID"]
		}
		hook(t, s, p, "crm.item.productrow.update", map[string]any{"id": ids["Sofa"], "fields": map[string]any{"quantity": 3}})
		hook(t, s, p, "crm.item.productrow.delete", map[string]any{"id": ids["Chair"]})
	}
	for _, ty := range types {
		trailtest.Eventually(t, ty.String()+"'s row changed and removed", func() bool {
			got := rowChangesOf(t, s, id, ty, 1)
			return slices.Contains(got, "item_changed Sofa") && slices.Contains(got, "removed Chair")
		})
	}

	// A smart process without products: its items change, and are
	// recorded without rows.
	ctx := context.Background()
	c := adminREST(t, s, p)
	var added struct {
		Type struct {
			EntityTypeID int `json:"entityTypeId"`
		} `json:"type"`
	}
	resp, err := c.Call(ctx, "crm.type.add", b24.Params{"fields": b24.Params{"title": "Visits", "isLinkWithProductsEnabled": "N"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(resp.Result, &added); err != nil || added.Type.EntityTypeID == 0 {
		t.Fatalf("crm.type.add = %s %v", resp.Result, err)
	}
	visits := crm.Type(added.Type.EntityTypeID)
	trailtest.Eventually(t, "the smart process without products tracked", func() bool {
		f, ok := db.Found(s.FoundTypes(t, id), visits)
		return ok && !f.Products && syncDone(t, s, id, visits)
	})
	resp, err = c.Call(ctx, "crm.item.add", b24.Params{"entityTypeId": int(visits), "fields": b24.Params{"title": "First visit"}})
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
	if _, err := c.Call(ctx, "crm.item.update", b24.Params{"entityTypeId": int(visits), "id": item.Item.ID,
		"fields": b24.Params{"title": "Second visit"}}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the visit recorded", func() bool {
		for _, r := range fieldRows(s.History(t, id, visits, item.Item.ID), "TITLE") {
			if trailtest.Text(r.NewValue) == "Second visit" {
				return true
			}
		}
		return false
	})
	if snap := s.Snapshot(t, id, visits, item.Item.ID); snap == nil || strings.Contains(string(snap.Data), `"PRODUCT_ROWS"`) {
		t.Errorf("the visit's snapshot has product rows or none: %v", snap)
	}
}

// TestSmartProcessItemPipelineMove: a smart-process item moved to another
// of its type's pipelines is recorded as one change, and its tab names the
// pipelines and stages in the type's own words.
func TestSmartProcessItemPipelineMove(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 1, SmartProcesses: 1, SmartProcessItems: 2, Seed: 13}})
	p := s.Emu.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	id := s.Installed(t, p)
	var spa crm.Type
	for _, f := range s.FoundTypes(t, id) {
		if f.Type.Dynamic() {
			spa = f.Type
		}
	}
	trailtest.Eventually(t, "the smart process's baseline", func() bool { return syncDone(t, s, id, spa) })
	ctx := context.Background()
	c := adminREST(t, s, p)
	resp, err := c.Call(ctx, "crm.category.list", b24.Params{"entityTypeId": int(spa)})
	if err != nil {
		t.Fatal(err)
	}
	var cats struct {
		Categories []struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"categories"`
	}
	if err := json.Unmarshal(resp.Result, &cats); err != nil || len(cats.Categories) < 2 {
		t.Fatalf("categories of %s: %s %v", spa, resp.Result, err)
	}
	got, err := c.Call(ctx, "crm.item.get", b24.Params{"entityTypeId": int(spa), "id": 1})
	if err != nil {
		t.Fatal(err)
	}
	var item struct {
		Item struct {
			CategoryID int    `json:"categoryId"`
			StageID    string `json:"stageId"`
		} `json:"item"`
	}
	if err := json.Unmarshal(got.Result, &item); err != nil {
		t.Fatal(err)
	}
	from, to := cats.Categories[0], cats.Categories[1]
	if item.Item.CategoryID == to.ID {
		from, to = to, from
	}
	if item.Item.CategoryID != from.ID {
		t.Fatalf("item 1 in pipeline %d, want one of %+v", item.Item.CategoryID, cats.Categories)
	}
	stages := func(cat int) map[string]string {
		resp, err := c.Call(ctx, "crm.status.list", b24.Params{"filter": b24.Params{"ENTITY_ID": fmt.Sprintf("DYNAMIC_%d_STAGE_%d", spa, cat)}})
		if err != nil {
			t.Fatal(err)
		}
		var list []struct {
			StatusID string `json:"STATUS_ID"`
			Name     string `json:"NAME"`
		}
		if err := json.Unmarshal(resp.Result, &list); err != nil || len(list) == 0 {
			t.Fatalf("stages of pipeline %d: %s %v", cat, resp.Result, err)
		}
		out := map[string]string{}
		for _, st := range list {
			out[st.StatusID] = st.Name
		}
		return out
	}
	fromStage := stages(from.ID)[item.Item.StageID]
	var toID, toStage string
	for sid, name := range stages(to.ID) {
		if toID == "" || sid < toID {
			toID, toStage = sid, name
		}
	}
	if _, err := c.Call(ctx, "crm.item.update", b24.Params{"entityTypeId": int(spa), "id": 1,
		"fields": b24.Params{"categoryId": to.ID, "stageId": toID}}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the move recorded", func() bool {
		rows := s.History(t, id, spa, 1)
		return trailtest.ByField(rows, "CATEGORY_ID") == 1 && trailtest.ByField(rows, "STAGE_ID") == 1
	})
	_, status, body := s.OpenTab(t, p, p.AdminID(), spa.DetailTab(), "1")
	if status != 200 {
		t.Fatalf("tab = %d", status)
	}
	entry := trailtest.Between(body, `<li class="entry updated">`, "</li>")
	pipeline := trailtest.Between(entry, `data-field="CATEGORY_ID"`, "</tr>")
	stage := trailtest.Between(entry, `data-field="STAGE_ID"`, "</tr>")
	for what, want := range map[string][]string{pipeline: {from.Name, to.Name}, stage: {fromStage, toStage}} {
		for _, w := range want {
			if w == "" || !strings.Contains(what, w) {
				t.Errorf("the move's entry shows %q, want %q in it", what, w)
			}
		}
	}
}
