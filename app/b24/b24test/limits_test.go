package b24test

import (
	"net/http"
	"testing"
	"time"
)

func TestLeakyBucket(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s, p, tok := installed(t, Options{Now: clk.Now, Limits: Limits{Burst: 5, Drain: 2}})
	for range 4 {
		mustOK(t, hookCall(t, s, p, "server.time", nil))
	}
	mustOK(t, appCall(t, s, p, tok.AccessToken, "server.time", nil))
	if a := appCall(t, s, p, tok.AccessToken, "server.time", nil); a.errCode() != "QUERY_LIMIT_EXCEEDED" {
		t.Fatalf("app did not share the webhook's bucket: %s", a.raw)
	}
	a := hookCall(t, s, p, "batch", map[string]any{"cmd": []string{"server.time"}})
	if a.status != http.StatusServiceUnavailable || a.errCode() != "QUERY_LIMIT_EXCEEDED" {
		t.Fatalf("6th request = %d %s", a.status, a.raw)
	}
	clk.Add(500 * time.Millisecond) // one request drains
	mustOK(t, hookCall(t, s, p, "server.time", nil))
	if a := hookCall(t, s, p, "server.time", nil); a.status != http.StatusServiceUnavailable {
		t.Errorf("bucket refilled too fast: %d", a.status)
	}
	if st := p.Stats(); st.Limited != 3 || st.Requests != 9 {
		t.Errorf("stats = %+v", st)
	}
	if got := (Limits{}).MinDuration(250); got != 100*time.Second {
		t.Errorf("MinDuration(250) = %v, want 100s", got)
	}
}

func TestOperatingLimit(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := NewTestServer(t, Options{Now: clk.Now, Deals: 10, Limits: Limits{OperatingBudget: 30 * time.Millisecond}, Cost: Cost{PerCall: 20 * time.Millisecond}})
	p := s.Portals()[0]
	a := mustOK(t, hookCall(t, s, p, "crm.deal.list", nil))
	if op := object(a.body["time"])["operating"]; op == nil {
		t.Fatalf("no operating: %s", a.raw)
	}
	mustOK(t, hookCall(t, s, p, "crm.deal.list", nil)) // crosses the budget, still runs
	a = hookCall(t, s, p, "crm.deal.list", nil)
	if a.status != http.StatusTooManyRequests || a.errCode() != "OPERATION_TIME_LIMIT" {
		t.Fatalf("third call = %d %s", a.status, a.raw)
	}
	mustOK(t, hookCall(t, s, p, "crm.deal.get", map[string]any{"id": 1})) // other methods unaffected
	b := mustOK(t, hookCall(t, s, p, "batch", map[string]any{"cmd": []string{"crm.deal.list"}}))
	if e := list(object(b.body["result"])["result_error"]); len(e) != 1 || object(e[0])["error"] != "OPERATION_TIME_LIMIT" {
		t.Errorf("nested call not limited: %s", b.raw)
	}
	clk.Add(10 * time.Minute)
	mustOK(t, hookCall(t, s, p, "crm.deal.list", nil))
	if n := p.Stats().OperationLimited; n != 2 {
		t.Errorf("OperationLimited = %d, want 2 (one call, one batch command)", n)
	}
}

func TestCostIsSleptAndReported(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 60, Cost: Cost{Base: 30 * time.Millisecond, PerRow: time.Millisecond}})
	p := s.Portals()[0]
	start := time.Now()
	a := mustOK(t, hookCall(t, s, p, "crm.deal.list", map[string]any{"select": []string{"ID"}}))
	if el := time.Since(start); el < 80*time.Millisecond {
		t.Errorf("answered in %v, want ≥ 80 ms (30 ms + 50 rows)", el)
	}
	proc, _ := object(a.body["time"])["processing"].(interface{ Float64() (float64, error) }).Float64()
	if proc < 0.08 {
		t.Errorf("processing = %v, want ≥ 0.08", proc)
	}
}
