package b24test

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// A batch of more than 50 commands still answers 200: the first 50 run and
// every command after them fails with ERROR_BATCH_LENGTH_EXCEEDED; with
// halt=1 the run stops at the 51st.
func TestBatchOverFiftyCommands(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 10})
	p := s.Portals()[0]
	cmds := map[string]any{}
	for i := range 52 {
		cmds[fmt.Sprintf("c%02d", i)] = "server.time"
	}
	a := mustOK(t, hookCall(t, s, p, "batch", map[string]any{"cmd": cmds}))
	r := object(a.body["result"])
	if got := len(object(r["result"])); got != 50 {
		t.Errorf("%d commands ran, want 50: %s", got, a.raw)
	}
	errs := object(r["result_error"])
	for _, key := range []string{"c50", "c51"} {
		e := object(errs[key])
		if e["error"] != "ERROR_BATCH_LENGTH_EXCEEDED" || e["error_description"] != "Max batch length exceeded" {
			t.Errorf("result_error[%s] = %v", key, errs[key])
		}
	}
	if len(errs) != 2 {
		t.Errorf("result_error = %v, want c50 and c51", errs)
	}

	// halt=1: the 51st fails and nothing after it is reported.
	halted := mustOK(t, hookCall(t, s, p, "batch", map[string]any{"halt": 1, "cmd": cmds}))
	hr := object(halted.body["result"])
	if got := len(object(hr["result"])); got != 50 {
		t.Errorf("halt=1: %d commands ran, want 50", got)
	}
	if errs := object(hr["result_error"]); len(errs) != 1 || object(errs["c50"])["error"] != "ERROR_BATCH_LENGTH_EXCEEDED" {
		t.Errorf("halt=1 result_error = %v, want only c50", errs)
	}

	// Writes past the 50th are not made.
	writes := map[string]any{}
	for i := range 51 {
		writes[fmt.Sprintf("w%02d", i)] = "crm.deal.add?fields[TITLE]=" + q(fmt.Sprintf("Batch deal %d", i))
	}
	mustOK(t, hookCall(t, s, p, "batch", map[string]any{"cmd": writes}))
	listed := mustOK(t, hookCall(t, s, p, "crm.deal.list", map[string]any{"filter": map[string]any{"%TITLE": "Batch deal"}}))
	if total := fmt.Sprint(listed.body["total"]); total != "50" {
		t.Errorf("%s deals added by a 51-command batch, want 50", total)
	}
}

// Under the realistic cost model a batch whose commands together pass the
// request's cut-off is cut off as one request: HTTP 500, the commands up to
// the one that crossed the limit took effect, the ones after never ran.
// The cut-off is scaled down from 60 s so that the test waits half a
// second, not a minute.
func TestBatchCutOff(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := NewTestServer(t, Options{Now: clk.Now, Deals: 10_000, Cost: RealisticCost(),
		Limits: Limits{Unlimited: true, RequestTimeout: 500 * time.Millisecond}})
	p := s.Portals()[0]
	// Counting 10,000 deals costs 0.25 s: the third counted page passes 0.5 s.
	counted := "crm.item.list?entityTypeId=2&start=0&select[]=id"
	cmds := map[string]any{
		"a_before": "crm.deal.add?fields[TITLE]=" + q("Before the cut"),
		"b_count1": counted,
		"c_count2": counted,
		"d_count3": counted,
		"e_after":  "crm.deal.add?fields[TITLE]=" + q("After the cut"),
	}
	a := hookCall(t, s, p, "batch", map[string]any{"cmd": cmds})
	if a.status != http.StatusInternalServerError || a.errCode() != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("a batch past the cut-off = %d %s", a.status, a.raw)
	}
	p.mu.Lock()
	deals := p.crm[2]
	before := deals.exists(10_001)
	after := deals.exists(10_002)
	p.mu.Unlock()
	if !before {
		t.Error("the command before the cut-off did not take effect")
	}
	if after {
		t.Error("a command after the cut-off ran")
	}
	// A batch under the limit answers as usual.
	ok := mustOK(t, hookCall(t, s, p, "batch", map[string]any{"cmd": map[string]any{"one": counted}}))
	if got := fmt.Sprint(object(object(ok.body["result"])["result_total"])["one"]); got != "10001" {
		t.Errorf("result_total = %s", got)
	}
}
