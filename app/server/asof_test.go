package server_test

import (
	"context"
	"encoding/json"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/timeline"
	"github.com/trailhq/trail/app/trailtest"
)

// portalState is a deal as the portal returned it at one moment: its get
// and its product rows.
type portalState struct {
	get  map[string]any
	rows []map[string]any
}

// Several real edits of a deal, each recorded from the portal's own get
// right after it was made: the record as of each change's moment (and a
// moment between two changes) is exactly that state, field by field and
// row by row, in the tab's as-of view as well; the compare view highlights
// what differs between the first and the last moment.
func TestAsOfEqualsThePortalsState(t *testing.T) {
	t.Parallel()
	e := newEdits(t, []int{1}, nil)
	const deal = 1
	snap := e.Snapshot(t, e.id, crm.Deal, deal)
	if snap == nil {
		t.Fatal("no baseline of the deal")
	}
	record := func() portalState {
		get, _ := e.p.Record("deal", deal)
		rows, _ := e.p.ProductRows("deal", deal)
		return portalState{get: get, rows: rows}
	}
	states := []portalState{record()}
	update := func(fields map[string]any) func() error {
		return func() error { return e.p.UpdateRecord("deal", deal, e.p.AdminID(), fields) }
	}
	edits := []func() error{
		update(map[string]any{"TITLE": "As of: first", "OPPORTUNITY": "1500", "COMMENTS": "filled in"}),
		func() error {
			return e.p.SetProductRows("deal", deal, e.p.AdminID(), []map[string]any{
				{"PRODUCT_NAME": "Sofa", "PRICE": 100, "QUANTITY": 2}, {"PRODUCT_NAME": "Chair", "PRICE": 40, "QUANTITY": 1}})
		},
		update(map[string]any{dealUFTags: []string{"tag", "other"}, dealUFEnum: "46", "SOURCE_ID": "PARTNER"}),
		update(map[string]any{"TITLE": "As of: last", "COMMENTS": "", dealUFTags: []string{"other"}}),
	}
	trailtest.Eventually(t, "a second after tracking began", func() bool { return time.Now().Unix() > snap.TrackedSince.Unix() })
	for i, edit := range edits {
		e.nextSecond(t, "deal", deal)
		if err := edit(); err != nil {
			t.Fatal(err)
		}
		states = append(states, record())
		trailtest.Eventually(t, "the deal's change recorded", func() bool { return len(changeTimes(t, e, deal)) == i+1 })
		e.quiet(t)
	}
	times := changeTimes(t, e, deal)
	if len(times) != len(edits) {
		t.Fatalf("%d changes recorded for %d edits", len(times), len(edits))
	}
	moments := []time.Time{times[0].Add(-time.Microsecond)} // the baseline: just before the first change
	moments = append(moments, times...)

	ctx := context.Background()
	labels, err := timeline.LoadLabels(ctx, e.DB.Bun, e.id, crm.Deal)
	if err != nil {
		t.Fatal(err)
	}
	past, err := timeline.LoadPast(ctx, e.DB.Bun, e.id, crm.Deal, deal, labels.Schema, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	f, status, _ := e.OpenTab(t, e.p, e.p.AdminID(), "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	if status != 200 {
		t.Fatalf("tab = %d", status)
	}
	for i, at := range moments {
		for _, at := range []time.Time{at, at.Add(500 * time.Millisecond)} {
			if i == 0 && at.After(moments[0]) || at.After(time.Now()) {
				continue // the baseline's moment is just before the first change; no moment is ahead
			}
			st := past.At(history.Moment{At: at})
			for _, miss := range stateMismatches(labels.Schema, states[i], st) {
				t.Errorf("as of moment %d (%s): %s", i, at.Format(time.RFC3339Nano), miss)
			}
			status, body := f.Get("/tab/deal/" + itoaInt(deal) + "/asof?at=" + url.QueryEscape(at.Format(time.RFC3339Nano)))
			title, _ := states[i].get["TITLE"].(string)
			if status != 200 || !strings.Contains(body, html.EscapeString(title)) {
				t.Errorf("the as-of view of moment %d = %d, lacks the title %q:\n%s", i, status, title, body)
			}
			for _, product := range []string{"Sofa", "Chair"} {
				if has := slices.ContainsFunc(states[i].rows, func(r map[string]any) bool { return r["PRODUCT_NAME"] == product }); has != strings.Contains(body, product+": ") {
					t.Errorf("the as-of view of moment %d shows %s: %v, the portal had it: %v", i, product, !has, has)
				}
			}
		}
	}

	// Just before and just after each change, as its entry links them.
	ids := changeIDs(t, e, deal)
	for i, change := range ids {
		for side, want := range map[string]int{"before": i, "after": i + 1} {
			m := history.Moment{At: times[i], Until: change + 1}
			if side == "before" {
				m = history.Moment{At: times[i].Add(-time.Microsecond), Until: change}
			}
			for _, miss := range stateMismatches(labels.Schema, states[want], past.At(m)) {
				t.Errorf("%s change %d: %s", side, i+1, miss)
			}
			q := url.Values{"at": {m.At.Format(time.RFC3339Nano)}, side: {strconv.FormatInt(change, 10)}}
			status, body := f.Get("/tab/deal/" + itoaInt(deal) + "/asof?" + q.Encode())
			if title, _ := states[want].get["TITLE"].(string); status != 200 || !strings.Contains(body, html.EscapeString(title)) {
				t.Errorf("the as-of view %s change %d = %d, lacks the title %q", side, i+1, status, title)
			}
		}
	}

	status, body := f.Get("/tab/deal/" + itoaInt(deal) + "/compare?from=" + url.QueryEscape(moments[0].Format(time.RFC3339Nano)) +
		"&to=" + url.QueryEscape(moments[len(moments)-1].Format(time.RFC3339Nano)))
	if status != 200 {
		t.Fatalf("compare = %d:\n%s", status, body)
	}
	differing := trailtest.Between(body, `<table class="changes compared">`, `</table>`)
	for _, field := range []string{"TITLE", "OPPORTUNITY", history.ProductRows, dealUFEnum, "SOURCE_ID"} {
		if !strings.Contains(differing, `data-field="`+field+`" class="differs"`) {
			t.Errorf("compare does not highlight %s:\n%s", field, body)
		}
	}
	if strings.Contains(differing, `data-field="COMMENTS"`) {
		t.Errorf("compare highlights COMMENTS, empty at both moments:\n%s", differing)
	}
}

// Moments that name no state of the record answer 400 with the reason, or
// explain that Trail did not track the record yet; another record than
// the session's is refused.
func TestAsOfRefusesAbsurdMoments(t *testing.T) {
	t.Parallel()
	e := newEdits(t, nil, nil)
	f, status, _ := e.OpenTab(t, e.p, e.p.AdminID(), "CRM_DEAL_DETAIL_TAB", "1")
	if status != 200 {
		t.Fatalf("tab = %d", status)
	}
	for _, at := range []string{"", "0000-01-01T00:00:00Z", "0001-01-01T00:00", "9999-12-31T23:59", "2026-01-01T10:00\x00",
		"not a date", "2026-13-01T00:00", "1969-12-31T23:59:59Z", time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		strings.Repeat("9", 100)} {
		status, body := f.Get("/tab/deal/1/asof?at=" + url.QueryEscape(at))
		if status != 400 || !strings.Contains(body, "at must be a date and time") {
			t.Errorf("as of %q = %d, want 400 saying what at must be:\n%s", at, status, body)
		}
		status, body = f.Get("/tab/deal/1/compare?from=" + url.QueryEscape(at) + "&to=" + url.QueryEscape(time.Now().UTC().Format(time.RFC3339)))
		if status != 400 || !strings.Contains(body, "from must be a date and time") {
			t.Errorf("compare from %q = %d, want 400:\n%s", at, status, body)
		}
	}
	now := url.QueryEscape(time.Now().UTC().Format(time.RFC3339))
	for _, cut := range []string{"&before=999999999", "&after=0", "&before=x", "&before=1&after=1", "&after=9223372036854775807"} {
		if status, body := f.Get("/tab/deal/1/asof?at=" + now + cut); status != 400 {
			t.Errorf("as of now%s = %d, want 400:\n%s", cut, status, body)
		}
	}
	if status, body := f.Get("/tab/deal/1/compare?from=" + now + "&to=" + now + "&to_after=999999999"); status != 400 {
		t.Errorf("compare to after a change of no record = %d, want 400:\n%s", status, body)
	}
	status, body := f.Get("/tab/deal/1/asof?at=2000-01-01T00:00")
	if status != 200 || !strings.Contains(body, "Trail started tracking this record on") {
		t.Errorf("as of 2000 = %d, want the explanation:\n%s", status, body)
	}
	if status, _ := f.Get("/tab/deal/2/asof?at=" + url.QueryEscape(time.Now().UTC().Format(time.RFC3339))); status != 401 {
		t.Errorf("deal 1's session asking for deal 2 as of now = %d, want 401", status)
	}
}

// changeIDs are a record's change ids, oldest first.
func changeIDs(t *testing.T, e *edits, deal int64) []int64 {
	t.Helper()
	var out []int64
	for _, r := range e.History(t, e.id, crm.Deal, deal) {
		if !slices.Contains(out, r.ChangeID) {
			out = append(out, r.ChangeID)
		}
	}
	slices.Sort(out)
	return out
}

// changeTimes are the moments of a record's changes, oldest first.
func changeTimes(t *testing.T, e *edits, deal int64) []time.Time {
	t.Helper()
	seen := map[int64]time.Time{}
	for _, r := range e.History(t, e.id, crm.Deal, deal) {
		seen[r.ChangeID] = r.ChangedAt
	}
	var out []time.Time
	for _, at := range seen {
		out = append(out, at)
	}
	slices.SortFunc(out, time.Time.Compare)
	return out
}

// stateMismatches compares a reconstruction with what the portal returned:
// every field of its get but the system ones, and its product rows.
func stateMismatches(schema *history.Schema, want portalState, got history.State) []string {
	var out []string
	for name, v := range want.get {
		if history.IsSystemField(name) {
			continue
		}
		raw, _ := json.Marshal(v)
		w := history.Normalize(schema.Field(name), raw)
		if g := got.Fields[name]; !history.SameValue(w, g) {
			out = append(out, name+": got "+g.String()+", the portal had "+w.String())
		}
	}
	var rows []string
	for _, e := range listOf(got.Fields[history.ProductRows]) {
		if r, ok := history.ParseRow(e); ok {
			rows = append(rows, r.Name+" x"+r.Quantity)
		}
	}
	var portal []string
	for _, r := range want.rows {
		q, _ := json.Marshal(r["QUANTITY"])
		portal = append(portal, r["PRODUCT_NAME"].(string)+" x"+history.Normalize(history.Field{Type: history.TypeDouble}, q).Text)
	}
	slices.Sort(rows)
	slices.Sort(portal)
	if !slices.Equal(rows, portal) {
		out = append(out, "product rows: got "+strings.Join(rows, ", ")+", the portal had "+strings.Join(portal, ", "))
	}
	return out
}

func listOf(v history.Value) []history.Value {
	if v.Kind == history.KindList {
		return v.List
	}
	if v.IsEmpty() {
		return nil
	}
	return []history.Value{v}
}
