package b24test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
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

// `trail emulate -cost realistic` serves the realistic model; the -cost-*
// flags override its figures and an unknown model is refused.
func TestRunCommandCostModel(t *testing.T) {
	t.Parallel()
	if err := RunCommand(context.Background(), []string{"--cost", "costly"}, io.Discard, io.Discard); err == nil {
		t.Error("an unknown cost model was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	pr := &lineWriter{lines: make(chan string, 10)}
	go func() {
		done <- RunCommand(ctx, []string{"--addr", "127.0.0.1:0", "--portals", "1", "--deals", "100", "--cost", "realistic", "--cost-base", "1ms"}, pr, io.Discard)
	}()
	var info PortalInfo
	if err := json.Unmarshal([]byte(<-pr.lines), &info); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(info.WebhookURL)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+u.Port())
	}}}
	a := postJSON(t, client, info.WebhookURL+"crm.item.list", map[string]any{"entityTypeId": 2, "order": map[string]any{"id": "ASC"},
		"filter": map[string]any{">id": 0}, "select": []string{"id", "title", "createdTime"}, "start": -1})
	// 1 ms of request plus the documented 68.5 ms page.
	if got := processing(t, a); got < 0.0695 || got > 0.09 {
		t.Errorf("processing %v, want about 0.0695: %s", got, a.raw)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Under a cost model a call is charged the model's time exactly: the
// emulator's own compute time belongs to the test machine, and a machine
// starved of CPU by other work must not spend more of the operating budget
// than the model says.
func TestCostModelAloneSpendsBudget(t *testing.T) {
	t.Parallel()
	c := Cost{PerCall: 10 * time.Millisecond, PerRow: time.Millisecond}
	s := NewTestServer(t, Options{Deals: 60, Cost: c})
	p := s.Portals()[0]
	cmd := map[string]any{}
	for i := range 20 {
		cmd[fmt.Sprintf("p%02d", i)] = "crm.deal.list?select[]=*&select[]=UF_*&order[ID]=ASC&start=-1"
	}
	a := mustOK(t, hookCall(t, s, p, "batch", map[string]any{"halt": 1, "cmd": cmd}))
	times := object(object(a.body["result"])["result_time"])
	page := (c.PerCall + 50*c.PerRow).Seconds()
	for i := range 20 {
		tb := object(times[fmt.Sprintf("p%02d", i)])
		proc, _ := tb["processing"].(json.Number).Float64()
		op, _ := tb["operating"].(json.Number).Float64()
		if math.Abs(proc-page) > 1e-9 || math.Abs(op-float64(i+1)*page) > 1e-9 {
			t.Fatalf("page %d: processing %v, operating %v; want %v and %v", i, proc, op, page, float64(i+1)*page)
		}
	}
}
