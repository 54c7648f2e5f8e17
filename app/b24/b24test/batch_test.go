package b24test

import (
	"fmt"
	"strings"
	"testing"
)

func TestBatchReferencesAndErrors(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 120})
	p := s.Portals()[0]
	form := strings.Join([]string{
		"halt=0",
		"cmd[page1]=" + q("crm.deal.list?order[ID]=ASC&select[]=ID&start=-1&"+q("filter[>ID]")+"=0"),
		"cmd[page2]=" + q("crm.deal.list?order[ID]=ASC&select[]=ID&start=-1&"+q("filter[>ID]")+"=$result[page1][49][ID]"),
		"cmd[one]=" + q("crm.deal.get?id=$result[page2][0][ID]"),
		"cmd[bad]=" + q("crm.deal.get?id=100000"),
		"cmd[count]=" + q("crm.deal.list?select[]=ID"),
	}, "&")
	a := mustOK(t, postForm(t, s.Client(), p.WebhookURL()+"batch", form))
	r := object(a.body["result"])
	res := object(r["result"])
	if got := object(res["one"])["ID"]; got != "51" {
		t.Errorf("$result[page2][0][ID] resolved to %v, want 51", got)
	}
	if got := object(list(res["page2"])[49])["ID"]; got != "100" {
		t.Errorf("page2 ends at %v", got)
	}
	if e := object(object(r["result_error"])["bad"]); e["error_description"] != "Not found" {
		t.Errorf("result_error.bad = %v", e)
	}
	if fmt.Sprint(object(r["result_total"])["count"]) != "120" || fmt.Sprint(object(r["result_next"])["count"]) != "50" {
		t.Errorf("result_total/next = %v / %v", r["result_total"], r["result_next"])
	}
	if _, ok := object(r["result_time"])["one"]; !ok {
		t.Error("result_time lacks one")
	}

	halted := mustOK(t, hookCall(t, s, p, "batch", map[string]any{"halt": 1, "cmd": []string{"crm.deal.get?id=0", "crm.deal.get?id=1"}}))
	hr := object(halted.body["result"])
	if got := fmt.Sprint(hr["result"]); got != "[]" {
		t.Errorf("halt=1 still ran later commands: %v", got)
	}
	if len(list(hr["result_error"])) != 1 {
		t.Errorf("halt=1 result_error = %v", hr["result_error"])
	}

	empty := mustOK(t, hookCall(t, s, p, "batch", map[string]any{"cmd": map[string]any{"t": "server.time"}}))
	if !strings.Contains(empty.raw, `"result_error":[]`) || !strings.Contains(empty.raw, `"result_next":[]`) {
		t.Errorf("empty collections are not []: %s", empty.raw)
	}
}

func TestBatchLimits(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{})
	p := s.Portals()[0]
	n := mustOK(t, hookCall(t, s, p, "batch", map[string]any{"cmd": map[string]any{"x": "batch?cmd[y]=server.time", "z": "no.such.method"}}))
	errs := object(object(n.body["result"])["result_error"])
	if object(errs["x"])["error"] != "ERROR_BATCH_METHOD_NOT_ALLOWED" || object(errs["z"])["error"] != "ERROR_METHOD_NOT_FOUND" {
		t.Errorf("nested batch / unknown method errors = %v", errs)
	}
}
