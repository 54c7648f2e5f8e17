package b24

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func collectIDs(t *testing.T, c *Client, o ListOptions) []int64 {
	t.Helper()
	var ids []int64
	for row, err := range c.List(context.Background(), o) {
		if err != nil {
			t.Fatal(err)
		}
		id, err := rowID(row, "ID")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

func TestListKeyset(t *testing.T) {
	for _, unresolved := range []string{"literal", ""} {
		for _, n := range []int{0, 1, 49, 50, 51, 2499, 2500, 2501, 5000, 7777} {
			t.Run(fmt.Sprintf("%s/%d", unresolved, n), func(t *testing.T) {
				f := newFakePortal(t, n)
				f.unresolved = unresolved
				c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, fastOptions())
				ids := collectIDs(t, c, ListOptions{Method: "crm.deal.list", Params: Params{"select": []string{"TITLE"}}})
				if len(ids) != n {
					t.Fatalf("got %d rows, want %d", len(ids), n)
				}
				for i, id := range ids {
					if id != f.ids[i] {
						t.Fatalf("row %d = %d, want %d", i, id, f.ids[i])
					}
				}
				if got, want := len(f.methods()), n/2500+1; got != want {
					t.Errorf("requests = %d, want %d", got, want)
				}
			})
		}
	}
}

func TestListResumesAndStops(t *testing.T) {
	f := newFakePortal(t, 3000)
	c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, fastOptions())
	ids := collectIDs(t, c, ListOptions{Method: "crm.deal.list", After: 8000, PagesPerRequest: 3})
	if len(ids) != 3000-2666 || ids[0] != 8001 {
		t.Fatalf("resumed listing: %d rows from %v", len(ids), ids[:1])
	}
	n := 0
	for _, err := range c.List(context.Background(), ListOptions{Method: "crm.deal.list"}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 10 {
			break
		}
	}
}

// Rows added and deleted during the listing: every row present for the
// whole listing comes exactly once, in order.
func TestListWhileDataChanges(t *testing.T) {
	f := newFakePortal(t, 6000)
	stable := map[int64]bool{}
	for _, id := range f.ids {
		stable[id] = true
	}
	rng := rand.New(rand.NewPCG(1, 2))
	f.hook = nil
	c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, fastOptions())
	seen := map[int64]bool{}
	var last int64
	i := 0
	for row, err := range c.List(context.Background(), ListOptions{Method: "crm.deal.list"}) {
		if err != nil {
			t.Fatal(err)
		}
		id, _ := rowID(row, "ID")
		if id <= last || seen[id] {
			t.Fatalf("row %d after %d", id, last)
		}
		seen[id], last = true, id
		if i++; i%500 == 0 {
			f.mu.Lock()
			// delete a random row and add one at the end
			k := rng.IntN(len(f.ids))
			delete(stable, f.ids[k])
			f.ids = append(f.ids[:k], f.ids[k+1:]...)
			f.ids = append(f.ids, f.ids[len(f.ids)-1]+1)
			f.mu.Unlock()
		}
	}
	for id := range stable {
		if !seen[id] {
			t.Errorf("row %d missed", id)
		}
	}
}

// A portal that ignores the ID filter must end the listing with an error,
// not loop over the same rows.
func TestListRejectsIgnoredFilter(t *testing.T) {
	f := newFakePortal(t, 100)
	f.hook = func(w http.ResponseWriter, m string, _ url.Values) bool {
		if m != "crm.deal.list" {
			return false
		}
		rows := []map[string]string{{"ID": "3"}, {"ID": "6"}}
		writeJSON(w, 200, map[string]any{"result": rows})
		return true
	}
	c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, fastOptions())
	var errs []error
	n := 0
	for _, err := range c.List(context.Background(), ListOptions{Method: "crm.deal.list", After: 6, PagesPerRequest: 1}) {
		if err != nil {
			errs = append(errs, err)
		}
		n++
	}
	if len(errs) != 1 || n != 1 {
		t.Fatalf("got %d rows and errors %v", n-len(errs), errs)
	}
}

func BenchmarkDecodeListBatch(b *testing.B) {
	// A 50-page batch answer of 2,500 deals, as crm.deal.list sends them.
	var sb strings.Builder
	sb.WriteString(`{"result":{"result":{`)
	id := 1
	for p := range 50 {
		if p > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `"p%d":[`, p)
		for r := range 50 {
			if r > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"ID":"%d","TITLE":"Deal #%d","STAGE_ID":"C1:NEW","OPPORTUNITY":"19999.99","CURRENCY_ID":"EUR","ASSIGNED_BY_ID":"1","DATE_MODIFY":"2024-08-30T14:29:00+02:00"}`, id, id)
			id++
		}
		sb.WriteByte(']')
	}
	sb.WriteString(`},"result_error":[],"result_total":[],"result_next":[],"result_time":{}},"time":{"start":1,"operating":0.5,"operating_reset_at":1700000000}}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		env, err := parseEnvelope(body)
		if err != nil {
			b.Fatal(err)
		}
		var p batchPayload
		if err := p.decode(env.Result); err != nil {
			b.Fatal(err)
		}
		n := 0
		for k := range 50 {
			rows, err := decodeRows(p.results[pageName(k)], false)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := rowID(rows[len(rows)-1], "ID"); err != nil {
				b.Fatal(err)
			}
			n += len(rows)
		}
		if n != 2500 {
			b.Fatal(n)
		}
	}
}
