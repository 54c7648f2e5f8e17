package b24test

import (
	"fmt"
	"net/http"
	"testing"
)

// TestLegacyListsPageByNumber: the classic lists read start as a page
// number (start=37 is page 1), crm.item.list as an offset.
func TestLegacyListsPageByNumber(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 120})
	p := s.Portals()[0]
	page := func(a answer, items bool) (first, rows int, next string) {
		r := list(mustOK(t, a).body["result"])
		if items {
			r = list(object(a.body["result"])["items"])
		}
		if len(r) > 0 {
			id, isLegacy := object(r[0])["ID"]
			if !isLegacy {
				id = object(r[0])["id"]
			}
			_, _ = fmt.Sscan(fmt.Sprint(id), &first)
		}
		next = "none"
		if n, ok := a.body["next"]; ok {
			next = fmt.Sprint(n)
		}
		return first, len(r), next
	}
	legacy := func(start int) answer {
		return hookCall(t, s, p, "crm.deal.list", map[string]any{"order": map[string]any{"ID": "ASC"}, "select": []string{"ID"}, "start": start})
	}
	for _, c := range []struct {
		start, first, rows int
		next               string
	}{{0, 1, 50, "50"}, {37, 1, 50, "50"}, {50, 51, 50, "100"}, {99, 51, 50, "100"}, {100, 101, 20, "none"}, {200, 0, 0, "none"}} {
		if first, rows, next := page(legacy(c.start), false); first != c.first || rows != c.rows || next != c.next {
			t.Errorf("crm.deal.list start=%d: first %d, %d rows, next %s; want %d, %d, %s", c.start, first, rows, next, c.first, c.rows, c.next)
		}
	}
	item := hookCall(t, s, p, "crm.item.list", map[string]any{"entityTypeId": 2, "order": map[string]any{"id": "ASC"}, "select": []string{"id"}, "start": 37})
	if first, rows, next := page(item, true); first != 38 || rows != 50 || next != "87" {
		t.Errorf("crm.item.list start=37: first %d, %d rows, next %s; want 38, 50, 87", first, rows, next)
	}
	seen := map[int]bool{}
	for start := 0; ; {
		a := mustOK(t, legacy(start))
		for _, r := range list(a.body["result"]) {
			var id int
			_, _ = fmt.Sscan(fmt.Sprint(object(r)["ID"]), &id)
			seen[id] = true
		}
		n, ok := a.body["next"]
		if !ok {
			break
		}
		_, _ = fmt.Sscan(fmt.Sprint(n), &start)
	}
	if len(seen) != 120 {
		t.Errorf("paging by next saw %d deals, want 120", len(seen))
	}
}

func TestListValidation(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 10})
	p := s.Portals()[0]
	for _, c := range []struct {
		method string
		params map[string]any
		code   string
		desc   string
	}{
		{"crm.item.list", map[string]any{"entityTypeId": 2, "filter": map[string]any{">bogus": 1}}, "INVALID_ARG_VALUE", "Invalid filter: field 'bogus' is not allowed in filter"},
		{"crm.item.list", map[string]any{"entityTypeId": 2, "order": map[string]any{"bogus": "ASC"}}, "INVALID_ARG_VALUE", "Invalid order: field 'bogus' is not allowed in order"},
		{"crm.item.list", map[string]any{"entityTypeId": 2, "order": map[string]any{"id": "UP"}}, "INVALID_ARG_VALUE", "Invalid order: allowed sort directions are ASC, DESC. But got 'UP' for field 'id'"},
		{"crm.deal.list", map[string]any{"filter": "ID=1"}, "", "Parameter 'filter' must be array."},
		{"crm.contact.list", map[string]any{"order": "ID"}, "", "Parameter 'order' must be array."},
	} {
		a := hookCall(t, s, p, c.method, c.params)
		if a.status != http.StatusBadRequest || a.body["error"] != c.code || a.body["error_description"] != c.desc {
			t.Errorf("%s %v = %d %s, want 400 %q %q", c.method, c.params, a.status, a.raw, c.code, c.desc)
		}
	}
	for _, c := range []struct {
		method string
		params map[string]any
	}{
		{"crm.item.list", map[string]any{"entityTypeId": 2, "order": map[string]any{"id": "desc", "title": "asc"}}},
		{"crm.deal.list", map[string]any{"filter": map[string]any{"BOGUS": 1}, "order": map[string]any{"BOGUS": "UP"}}},
	} {
		if a := hookCall(t, s, p, c.method, c.params); a.status != http.StatusOK || a.body["total"] == nil || fmt.Sprint(a.body["total"]) != "10" {
			t.Errorf("%s %v = %d %s, want all 10 rows", c.method, c.params, a.status, a.raw)
		}
	}
}

// TestLikeOperators: =% and %= take their wildcards from the value, and
// the legacy lists compare status fields exactly even under LIKE.
func TestLikeOperators(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Deals: 200})
	p := s.Portals()[0]
	count := func(method string, filter map[string]any) int {
		params := map[string]any{"filter": filter}
		if method == "crm.item.list" {
			params["entityTypeId"] = 2
		}
		a := mustOK(t, hookCall(t, s, p, method, params))
		var n int
		_, _ = fmt.Sscan(fmt.Sprint(a.body["total"]), &n)
		return n
	}
	rec, _ := p.Record("deal", 1)
	title := fmt.Sprint(rec["TITLE"])
	prefix := title[:len(title)/2]
	exact := count("crm.deal.list", map[string]any{"TITLE": title})
	if exact == 0 {
		t.Fatalf("no deal titled %q", title)
	}
	cases := []struct {
		method string
		filter map[string]any
		want   int
	}{
		{"crm.deal.list", map[string]any{"%=TITLE": title}, exact},
		{"crm.deal.list", map[string]any{"=%TITLE": prefix}, 0},
		{"crm.deal.list", map[string]any{"%=TITLE": prefix}, 0},
		{"crm.item.list", map[string]any{"%=title": prefix}, 0},
		{"crm.deal.list", map[string]any{"%=TITLE": prefix + "%"}, count("crm.deal.list", map[string]any{"%TITLE": prefix})},
		{"crm.deal.list", map[string]any{"%STAGE_ID": "WO"}, 0},
		{"crm.deal.list", map[string]any{"%STAGE_ID": "WON"}, count("crm.deal.list", map[string]any{"STAGE_ID": "WON"})},
	}
	for _, c := range cases {
		if got := count(c.method, c.filter); got != c.want {
			t.Errorf("%s %v matched %d, want %d", c.method, c.filter, got, c.want)
		}
	}
}
