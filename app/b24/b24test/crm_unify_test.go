package b24test

import (
	"maps"
	"reflect"
	"slices"
	"strconv"
	"testing"
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

	ds := waitN(t, p, 2)
	for i, d := range ds {
		want := strconv.Itoa([]int{viaMove, viaItem}[i])
		if d.Event != "ONCRMDEALMOVETOCATEGORY" || d.Body.Get("data[FIELDS][ID]") != want ||
			d.Body.Get("data[FIELDS][CATEGORY_ID]") != "1" || d.Body.Get("data[FIELDS][STAGE_ID]") != "C1:NEW" {
			t.Errorf("delivery %d = %s %v", i, d.Event, d.Body)
		}
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
