package b24test

import (
	"net/http"
	"strconv"
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
