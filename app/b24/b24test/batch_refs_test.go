package b24test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestBatchReferencesReachTheDeepestKey pins how the rest module resolves
// references: the walk stops at the deepest existing key, a whole-value
// reference takes what it reached (an array included), an embedded one
// takes only scalars and is otherwise left as written.
func TestBatchReferencesReachTheDeepestKey(t *testing.T) {
	page := listOf(objOf("ID", "1"), objOf("ID", "2"))
	r := refs{"result": objOf("p", page), "error": objOf("bad", objOf("error", "", "error_description", "Not found")),
		"total": objOf("p", 2), "next": newObj(), "time": newObj()}
	params := decodeForm("short=$result[p][49][ID]&failed=$result[bad][ID]&text=id+$result[p][1][ID]+ok" +
		"&literal=id+$result[p][49][ID]&upper=$RESULT[p][0][ID]&total=$total[p]&err=$error[bad][error_description]" +
		"&filter[%3EID]=$result[p][1][ID]&other=$foo[p]")
	r.substitute(params)
	want := map[string]string{
		"short": `[{"ID":"1"},{"ID":"2"}]`, "failed": `{"p":[{"ID":"1"},{"ID":"2"}]}`,
		"text": "id 2 ok", "literal": "id $result[p][49][ID]", "upper": "1", "total": "2", "err": "Not found",
		"filter": `{">ID":"2"}`, "other": "$foo[p]",
	}
	for k, w := range want {
		v, _ := params.get(k)
		got := str(v)
		if o := asObj(v); o != nil {
			b, _ := o.MarshalJSON()
			got = string(b)
		}
		if got != w {
			t.Errorf("%s = %s, want %s", k, got, w)
		}
	}
}

func TestBatchReferencesOnTheWire(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 120})
	p := s.Portals()[0]
	form := strings.Join([]string{
		"cmd[page1]=" + q("crm.deal.list?order[ID]=ASC&select[]=ID"),
		"cmd[page2]=" + q("crm.deal.list?order[ID]=ASC&select[]=ID&start=$next[page1]"),
		"cmd[bad]=" + q("crm.deal.get?id=100000"),
		"cmd[add]=" + q("crm.deal.add?"+q("fields[TITLE]")+"="+q("after $result[bad][ID] and $result[page1][0][ID]")),
		"cmd[get]=" + q("crm.deal.get?id=$result[add]"),
	}, "&")
	a := mustOK(t, postForm(t, s.Client(), p.WebhookURL()+"batch", form))
	r := object(a.body["result"])
	res := object(r["result"])
	if got := object(list(res["page2"])[0])["ID"]; got != "51" {
		t.Errorf("start=$next[page1] gave a page starting at %v, want 51", got)
	}
	if got := object(res["get"])["TITLE"]; got != "after $result[bad][ID] and 1" {
		t.Errorf("TITLE = %q: an embedded reference to a failed command stays literal", got)
	}
}

// TestBatchWithoutCmd is answered like the rest module: nothing runs, 200.
func TestBatchWithoutCmd(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 1})
	p := s.Portals()[0]
	for _, params := range []map[string]any{nil, {"cmd": "crm.deal.list"}, {"cmd": map[string]any{"n": 5, "ok": "server.time"}}} {
		a := hookCall(t, s, p, "batch", params)
		if a.status != http.StatusOK {
			t.Fatalf("batch %v = %d %s", params, a.status, a.raw)
		}
		r := object(a.body["result"])
		if _, ran := object(r["result"])["n"]; ran || fmt.Sprint(object(r["result_error"])) != "map[]" {
			t.Errorf("batch %v = %s", params, a.raw)
		}
	}
}
