package b24test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// processing reads time.processing of an answer.
func processing(t *testing.T, a answer) float64 {
	t.Helper()
	n, _ := object(a.body["time"])["processing"].(json.Number)
	f, err := n.Float64()
	if err != nil {
		t.Fatalf("no processing: %s", a.raw)
	}
	return f
}

// The realistic model reproduces the documented page: 50 keyset rows of
// crm.item.list with 3 fields take 0.0685 s of processing and 0.0979 s in
// all, wider selects cost more, user fields more than standard ones.
func TestRealisticCostFigures(t *testing.T) {
	c := RealisticCost()
	page := c.PerCall + 50*c.PerRow + 50*3*c.PerField
	if page < 68*time.Millisecond || page > 69*time.Millisecond {
		t.Errorf("3-field page = %v, want 0.0685 s", page)
	}
	if total := c.Base + page; total < 97*time.Millisecond || total > 98*time.Millisecond {
		t.Errorf("3-field page with the request = %v, want 0.0979 s", total)
	}
	counted := time.Duration(2_387_743) * c.PerCountedRow
	if counted < 49800*time.Millisecond || counted > 50*time.Second {
		t.Errorf("counting 2,387,743 rows = %v, want 49.9 s", counted)
	}
	if c.PerUserField <= c.PerField {
		t.Errorf("a user field costs %v, a standard one %v", c.PerUserField, c.PerField)
	}

	s := NewTestServer(t, Options{Deals: 3000, Cost: c})
	p := s.Portals()[0]
	keyset := map[string]any{"entityTypeId": 2, "order": map[string]any{"id": "ASC"}, "filter": map[string]any{">id": 0},
		"select": []string{"id", "title", "createdTime"}, "start": -1}
	a := mustOK(t, hookCall(t, s, p, "crm.item.list", keyset))
	if got := processing(t, a); got < 0.097 || got > 0.2 {
		t.Errorf("documented keyset page: processing %v, want about 0.0979 (0.0685 + 0.029 of the request)", got)
	}
	narrow := processing(t, a)

	wide := mustOK(t, hookCall(t, s, p, "crm.deal.list", map[string]any{"order": map[string]any{"ID": "ASC"},
		"filter": map[string]any{">ID": 0}, "select": []string{"*", "UF_*"}, "start": -1}))
	if got := processing(t, wide); got < narrow+0.05 {
		t.Errorf("a page of every field: processing %v, the 3-field page %v", got, narrow)
	}

	keyset["start"] = 0
	counted3000 := mustOK(t, hookCall(t, s, p, "crm.item.list", keyset))
	if got := processing(t, counted3000); got < narrow+3000*c.PerCountedRow.Seconds() {
		t.Errorf("counting 3,000 rows: processing %v, the keyset page %v", got, narrow)
	}
}

// A request whose processing exceeds the time limit is cut off with a 500
// after that time, and the method is charged the time limit, not more.
func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := NewTestServer(t, Options{Now: clk.Now, Deals: 10,
		Limits: Limits{RequestTimeout: 50 * time.Millisecond, OperatingBudget: 120 * time.Millisecond},
		Cost:   Cost{PerCall: time.Second}})
	p := s.Portals()[0]
	start := time.Now()
	a := hookCall(t, s, p, "crm.deal.list", nil)
	if a.status != http.StatusInternalServerError || a.errCode() != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("a 1 s call under a 50 ms cut-off = %d %s", a.status, a.raw)
	}
	if el := time.Since(start); el < 50*time.Millisecond {
		t.Errorf("answered after %v, before the cut-off", el)
	}
	// Charged 50 ms twice = 100 ms < 120 ms: the third call still runs.
	hookCall(t, s, p, "crm.deal.list", nil)
	if a := hookCall(t, s, p, "crm.deal.list", nil); a.errCode() != "INTERNAL_SERVER_ERROR" {
		t.Errorf("third call = %d %s, want the cut-off, not OPERATION_TIME_LIMIT", a.status, a.raw)
	}
	if a := hookCall(t, s, p, "crm.deal.list", nil); a.errCode() != "OPERATION_TIME_LIMIT" {
		t.Errorf("fourth call = %d %s, want OPERATION_TIME_LIMIT", a.status, a.raw)
	}
}
