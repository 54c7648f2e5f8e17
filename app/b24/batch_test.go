package b24

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestBatchSplitsAndKeepsOrder(t *testing.T) {
	f := newFakePortal(t, 0)
	c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, fastOptions())
	var b Batch
	for i := range 120 {
		b.Add(fmt.Sprintf("c%d", i), "echo", Params{"i": i})
	}
	b.Add("bad", "no.such.method", nil)
	res, err := c.Batch(context.Background(), &b)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.methods(); strings.Join(got, " ") != "batch batch batch" {
		t.Errorf("requests = %v", got)
	}
	for i := range 120 {
		var v map[string][]string
		if err := res.Decode(fmt.Sprintf("c%d", i), &v); err != nil || v["i"][0] != fmt.Sprint(i) {
			t.Fatalf("c%d = %v, %v", i, v, err)
		}
	}
	if _, err := res.Result("bad"); !errors.Is(err, ErrNotFound) {
		t.Errorf("bad = %v", err)
	}
	if err := res.Err(); err == nil || !strings.Contains(err.Error(), "bad") {
		t.Errorf("Err() = %v", err)
	}
}

func TestBatchReferences(t *testing.T) {
	f := newFakePortal(t, 200)
	c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, fastOptions())
	var b Batch
	b.Add("first", "crm.deal.list", Params{"filter": Params{">ID": 0}})
	b.Add("second", "crm.deal.list", Params{"filter": Params{">ID": "$result[first][49][ID]"}})
	res, err := c.Batch(context.Background(), &b)
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ ID ID }
	if err := res.Decode("second", &rows); err != nil || len(rows) == 0 || rows[0].ID != 153 {
		t.Fatalf("second page starts at %v (%v), want 153", rows, err)
	}
}

func TestBatchRejectsReferenceAcrossRequests(t *testing.T) {
	f := newFakePortal(t, 0)
	c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, fastOptions())
	for _, tc := range []struct {
		name string
		add  func(*Batch)
	}{
		{"earlier request", func(b *Batch) {
			for i := range 50 {
				b.Add(fmt.Sprintf("c%d", i), "echo", nil)
			}
			b.Add("late", "echo", Params{"x": "$result[c0]"})
		}},
		{"later command", func(b *Batch) {
			b.Add("a", "echo", Params{"x": "$result[b][ID]"})
			b.Add("b", "echo", nil)
		}},
		{"unknown", func(b *Batch) { b.Add("a", "echo", Params{"x": "$result_total[zz]"}) }},
		{"duplicate", func(b *Batch) { b.Add("a", "echo", nil).Add("a", "echo", nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b Batch
			tc.add(&b)
			if _, err := c.Batch(context.Background(), &b); err == nil {
				t.Error("no error")
			}
		})
	}
	if n := len(f.methods()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestBatchHalt(t *testing.T) {
	f := newFakePortal(t, 0)
	c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, fastOptions())
	b := Batch{Halt: true}
	b.Add("a", "echo", nil).Add("bad", "no.such", nil)
	for i := range 60 {
		b.Add(fmt.Sprintf("c%d", i), "echo", nil)
	}
	res, err := c.Batch(context.Background(), &b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := res.Result("a"); err != nil {
		t.Error(err)
	}
	if _, err := res.Result("c59"); !errors.Is(err, ErrSkipped) {
		t.Errorf("c59 after a halt: %v", err)
	}
	if n := len(f.methods()); n != 1 {
		t.Errorf("requests after a halt: %d", n)
	}
}

func TestDecodeKeyedAcceptsArrays(t *testing.T) {
	var p batchPayload
	raw := `{"result":["x","y"],"result_error":[],"result_total":{"1":"7"},"result_next":[],"result_time":[]}`
	if err := p.decode(json.RawMessage(raw)); err != nil {
		t.Fatal(err)
	}
	if string(p.results["1"]) != `"y"` || p.totals["1"] != 7 || len(p.errs) != 0 {
		t.Errorf("decoded %+v", p)
	}
}
