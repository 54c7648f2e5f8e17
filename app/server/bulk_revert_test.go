package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// bulkDeals is how many deals the bulk revert tests change and put back.
const bulkDeals = 500

// bulk is a portal whose deals one employee (user 2) retitled within a
// window that the admin's bulk revert then selects.
type bulk struct {
	*stack
	p        *b24test.Portal
	id       int64
	titles   map[int]string // each deal's title before the employee's change
	from, to time.Time
	// events is how many deliveries the portal had sent when the
	// employee's changes were all recorded.
	events int
	// limited is how many requests the portal had refused for its rate
	// limit when the admin opened the page (the employee's changes fill the
	// bucket, and the page's entry checks the admin's token with the
	// portal): the bulk revert must add none.
	limited int64
	w       *trailtest.Worker // the worker process, when the test runs one
}

const bulkAuthor = 2

// newBulk installs Trail on a portal of bulkDeals deals, waits for their
// baseline, and has user 2 retitle every deal.
func newBulk(t *testing.T, o trailtest.Options, worker bool) *bulk {
	t.Helper()
	o.Emulator = b24test.Options{Portals: 1, Deals: bulkDeals, Seed: 15}
	s := newStack(t, o)
	b := &bulk{stack: s, p: s.Emu.Portals()[0], titles: map[int]string{}}
	if worker {
		b.w = s.StartWorker(t, "bulk-worker")
	}
	b.id = s.Install(t, b.p)
	trailtest.Eventually(t, "every deal's baseline", func() bool { return s.Snapshots(t, b.id, crm.Deal) == bulkDeals })
	for i := 1; i <= bulkDeals; i++ {
		rec, ok := b.p.Record("deal", i)
		if !ok {
			t.Fatalf("deal %d missing", i)
		}
		b.titles[i] = fmt.Sprint(rec["TITLE"])
	}
	b.from = time.Now().Add(-2 * time.Second)
	for i := 1; i <= bulkDeals; i++ {
		if err := b.p.UpdateRecord("deal", i, bulkAuthor, map[string]any{"TITLE": fmt.Sprintf("Mistake %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	b.to = time.Now().Add(2 * time.Second)
	trailtest.Eventually(t, "every change recorded", func() bool {
		return s.Count(t, "SELECT count(*) FROM history WHERE portal_id = $1 AND author_id = $2 AND field = 'TITLE'", b.id, bulkAuthor) == bulkDeals
	})
	b.events = len(b.p.Deliveries())
	return b
}

// form selects the employee's TITLE changes of deals in the window.
func (b *bulk) form() url.Values {
	return url.Values{"author": {strconv.Itoa(bulkAuthor)}, "from": {b.from.UTC().Format(views.MomentLayout)},
		"to": {b.to.UTC().Format(views.MomentLayout)}, "entity": {"deal"}, "field": {"TITLE"}}
}

// start counts and starts the bulk revert as the portal's admin and
// returns the admin's page and the bulk revert's id.
func (b *bulk) start(t *testing.T) (*trailtest.Frame, string) {
	t.Helper()
	f, status, _ := b.OpenApp(t, b.p, b.p.AdminID())
	sessionOf(t, f, status)
	b.limited = b.p.Stats().Limited
	counted := f.Must(200, "POST", "/settings/bulk/preview", b.form())
	if got := trailtest.Between(counted, `data-records="`, `"`); got != strconv.Itoa(bulkDeals) {
		t.Fatalf("preview counts %s records, want %d: %.300s", got, bulkDeals, counted)
	}
	if got := trailtest.Between(counted, `data-changes="`, `"`); got != strconv.Itoa(bulkDeals) {
		t.Fatalf("preview counts %s changes, want %d", got, bulkDeals)
	}
	bar := f.Must(200, "POST", "/settings/bulk", b.form())
	id := trailtest.Between(bar, `id="bulk-`, `"`)
	if id == "" {
		t.Fatalf("no bulk revert in %.300s", bar)
	}
	return f, id
}

// done polls the progress bar, as the page does, until the bulk revert is
// done, and returns the last bar.
func (b *bulk) done(t *testing.T, f *trailtest.Frame, id string) string {
	t.Helper()
	var bar string
	trailtest.Eventually(t, "the bulk revert done", func() bool {
		bar = f.Must(200, "GET", "/settings/bulk/"+id, nil)
		return strings.Contains(bar, `data-state="done"`)
	})
	return bar
}

// check asserts every deal's title is back as the portal's REST list
// returns it, each written once (one update event per deal since the
// employee's changes), the report's totals, and the history: the revert
// recorded as the admin's, by a revert, linked to the change it undid and
// to the bulk revert.
func (b *bulk) check(t *testing.T, id, bar string) {
	t.Helper()
	for _, k := range []string{"restored", "done", "total"} {
		if got := trailtest.Between(bar, `data-`+k+`="`, `"`); got != strconv.Itoa(bulkDeals) {
			t.Errorf("report: %s = %s, want %d", k, got, bulkDeals)
		}
	}
	for _, k := range []string{"skipped", "conflicts", "refused"} {
		if got := trailtest.Between(bar, `data-`+k+`="`, `"`); got != "0" {
			t.Errorf("report: %s = %s, want 0", k, got)
		}
	}
	got := b.listTitles(t)
	for i := 1; i <= bulkDeals; i++ {
		if got[i] != b.titles[i] {
			t.Errorf("deal %d: TITLE %q after the bulk revert, want %q", i, got[i], b.titles[i])
		}
	}
	trailtest.Eventually(t, "every revert recorded", func() bool {
		return b.Count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND author_id = $2 AND field = 'TITLE'
			AND source = $3 AND reverts_change_id IS NOT NULL AND reverts_bulk_id = $4`, b.id, b.p.AdminID(), db.CodeRevert, id) == bulkDeals
	})
	// The portal's events of the writes arrive after them.
	updates := map[string]int{}
	trailtest.Eventually(t, "an update event of every deal", func() bool {
		clear(updates)
		for _, d := range b.p.Deliveries()[b.events:] {
			if d.Event == "ONCRMDEALUPDATE" {
				updates[d.Body.Get("data[FIELDS][ID]")]++
			}
		}
		return len(updates) == bulkDeals
	})
	for i := 1; i <= bulkDeals; i++ {
		if n := updates[strconv.Itoa(i)]; n != 1 {
			t.Errorf("deal %d: %d update events since the employee's changes, want 1 (written once)", i, n)
		}
	}
	if n := b.Count(t, "SELECT count(*) FROM reverts WHERE portal_id = $1 AND bulk_id IS NOT NULL AND user_id = $2", b.id, b.p.AdminID()); n != bulkDeals {
		t.Errorf("%d audited record writes, want %d", n, bulkDeals)
	}
}

// listTitles reads every deal's title through the portal's REST list as
// its admin, waiting out the rate limit the test shares with Trail.
func (b *bulk) listTitles(t *testing.T) map[int]string {
	t.Helper()
	tok, err := b.p.IssueTokens(b.p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for start := 0; start < bulkDeals; start += 50 {
		q := url.Values{"auth": {tok.AccessToken}, "select[]": {"ID", "TITLE"}, "order[ID]": {"ASC"}, "start": {strconv.Itoa(start)}}
		var page struct {
			Result []struct{ ID, TITLE string }
		}
		for deadline := time.Now().Add(30 * time.Second); ; {
			resp, err := b.Emu.Client().Get(b.p.ClientEndpoint() + "crm.deal.list?" + q.Encode())
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				if err := json.Unmarshal(body, &page); err != nil {
					t.Fatal(err)
				}
				break
			}
			if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
				t.Fatalf("crm.deal.list: %d %s", resp.StatusCode, body)
			}
			time.Sleep(500 * time.Millisecond)
		}
		for _, d := range page.Result {
			id, _ := strconv.Atoi(d.ID)
			out[id] = d.TITLE
		}
	}
	return out
}

// TestBulkRevertPacedWithinLimits: 500 deals retitled by one employee are
// put back by the admin's bulk revert through the portal's own limits:
// every title back, each deal written once, the portal refused no call for
// its rate limit, and the report counts every record restored. It logs
// the throughput against the limit.
func TestBulkRevertPacedWithinLimits(t *testing.T) {
	t.Parallel()
	b := newBulk(t, trailtest.Options{}, false)
	batches := b.APICalls(t, b.id, "batch")
	began := time.Now()
	f, id := b.start(t)
	bar := b.done(t, f, id)
	took := time.Since(began)
	if n := b.p.Stats().Limited - b.limited; n != 0 {
		t.Errorf("the portal refused %d requests for its rate limit during the bulk revert", n)
	}
	b.check(t, id, bar)
	status, csv := f.Get("/settings/bulk/" + id + "/report.csv")
	if status != 200 || strings.Count(csv, "deal,") != bulkDeals || strings.Count(csv, ",restored,") != bulkDeals {
		t.Errorf("report.csv = %d, want a restored row per deal: %.300s", status, csv)
	}
	// The emulator's standard limit is 2 requests a second; at 50 writes a
	// batch request that is at most 100 records a second.
	const limit = 2 * 50.0
	rate := bulkDeals / took.Seconds()
	t.Logf(`{"bench":"bulk_revert","records":%d,"seconds":%.2f,"records_per_s":%.1f,"limit_records_per_s":%.0f,"fraction_of_limit":%.2f,"batch_requests_of_all_jobs":%d}`,
		bulkDeals, took.Seconds(), rate, limit, rate/limit, b.APICalls(t, b.id, "batch")-batches)
}

// TestBulkRevertResumesAfterWorkerKilled kills the worker process in the
// middle of a bulk revert (the portal answers slowly, so it surely is)
// and starts it again: the job goes on from its stored progress, no deal
// is written twice, and the report's totals are those of one run.
func TestBulkRevertResumesAfterWorkerKilled(t *testing.T) {
	t.Parallel()
	b := newBulk(t, trailtest.Options{NoWorkers: true}, true)
	b.p.SetFaults(b24test.Faults{Delay: 400 * time.Millisecond})
	f, id := b.start(t)
	done := func() int {
		return b.Count(t, "SELECT count(*) FROM bulk_revert_records WHERE portal_id = $1 AND state = 'done'", b.id)
	}
	writing := func() int {
		return b.Count(t, "SELECT count(*) FROM bulk_revert_records WHERE portal_id = $1 AND state = 'writing'", b.id)
	}
	// Killed while a write is in flight: its records are read again after
	// the restart, and those the portal already shows back are not written
	// again.
	trailtest.Eventually(t, "a part of the records done and a write in flight", func() bool { return done() >= 50 && writing() > 0 })
	b.w.Kill(t)
	n := done()
	if n >= bulkDeals {
		t.Fatalf("the bulk revert finished (%d records) before the worker was killed", n)
	}
	t.Logf("worker killed with %d records done, %d written but not confirmed", n, writing())
	b.p.SetFaults(b24test.Faults{})
	b.StartWorker(t, "bulk-worker")
	bar := b.done(t, f, id)
	if n := b.p.Stats().Limited - b.limited; n != 0 {
		t.Errorf("the portal refused %d requests for its rate limit during the bulk revert", n)
	}
	b.check(t, id, bar)
}

// TestBulkRevertAdminsOnly: an employee can neither count, start nor see
// a bulk revert, nor download its report.
func TestBulkRevertAdminsOnly(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 15}})
	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	trailtest.Eventually(t, "the baseline", func() bool { return s.Snapshots(t, id, crm.Deal) == 5 })
	if err := p.UpdateRecord("deal", 1, bulkAuthor, map[string]any{"TITLE": "Mistake"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the change recorded", func() bool { return len(s.History(t, id, crm.Deal, 1)) == 1 })
	now := time.Now()
	form := url.Values{"author": {strconv.Itoa(bulkAuthor)}, "from": {now.Add(-time.Hour).UTC().Format(views.MomentLayout)},
		"to": {now.Add(time.Minute).UTC().Format(views.MomentLayout)}}

	admin, status, _ := s.OpenApp(t, p, p.AdminID())
	sessionOf(t, admin, status)
	// Absurd selections are refused with the reason, and start nothing.
	for name, bad := range map[string]url.Values{
		"no person":         {"author": {"Ivan"}},
		"from after to":     {"from": form["to"], "to": form["from"]},
		"year 1":            {"from": {"0001-01-01T00:00"}},
		"far in the future": {"to": {"9999-12-31T23:59"}},
		"NUL":               {"from": {"2026-01-01T00:00\x00"}},
		"unknown type":      {"entity": {"invoice2"}},
		"not a field code":  {"field": {"TITLE; DROP"}},
	} {
		fm := url.Values{}
		for k, v := range form {
			fm[k] = v
		}
		for k, v := range bad {
			fm[k] = v
		}
		for _, path := range []string{"/settings/bulk/preview", "/settings/bulk"} {
			if got, body := admin.Do("POST", path, fm); got != http.StatusBadRequest {
				t.Errorf("%s: POST %s = %d, want 400: %.200s", name, path, got, body)
			}
		}
	}
	bar := admin.Must(200, "POST", "/settings/bulk", form)
	bulkID := trailtest.Between(bar, `id="bulk-`, `"`)

	// The employee's own frame is refused a session on the app's page; a
	// tab session of theirs is no admin's either.
	tab, status, _ := s.OpenTab(t, p, bulkAuthor, "CRM_DEAL_DETAIL_TAB", "1")
	sessionOf(t, tab, status)
	for _, r := range []struct{ method, path string }{
		{"GET", "/settings/bulk"}, {"POST", "/settings/bulk/preview"}, {"POST", "/settings/bulk"},
		{"GET", "/settings/bulk/" + bulkID}, {"GET", "/settings/bulk/" + bulkID + "/report.csv"},
	} {
		fm := form
		if r.method == "GET" {
			fm = nil
		}
		if got, body := tab.Do(r.method, r.path, fm); got != http.StatusForbidden {
			t.Errorf("%s %s as an employee = %d, want 403: %.200s", r.method, r.path, got, body)
		}
	}
	if n := s.Count(t, "SELECT count(*) FROM bulk_reverts WHERE portal_id = $1", id); n != 1 {
		t.Errorf("%d bulk reverts, want the admin's 1", n)
	}
	admin.Must(200, "GET", "/settings/bulk/"+bulkID, nil)
}
