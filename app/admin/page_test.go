package admin

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/timeline"
	"github.com/trailhq/trail/db"
)

func TestPageShowsTheSettingsFeedAndChart(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.SaveTracking(ctx, f.in, Tracking{Types: []crm.Type{crm.Deal}, Tabs: []crm.Type{crm.Deal}, RetentionDays: 45}); err != nil {
		t.Fatal(err)
	}
	f.readFields(t, crm.Deal)
	// One change of two fields, one creation, and another portal's change.
	at := time.Now().Add(-time.Hour).UTC()
	if _, err := f.DB.Bun.ExecContext(ctx, `INSERT INTO history (portal_id, entity, entity_id, change_id, seq, action, field, author_id, changed_at) VALUES
		(?, 2, 1, 10, 0, ?, 'TITLE', 1, ?), (?, 2, 1, 10, 1, ?, 'OPPORTUNITY', 1, ?), (?, 2, 2, 11, 0, ?, '', NULL, ?)`,
		f.in.ID, db.CodeUpdated, at, f.in.ID, db.CodeUpdated, at, f.in.ID, db.CodeCreated, at.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	d, err := f.svc.Page(ctx, f.in, timeline.Printer{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Reauth || d.Tracking.RetentionDays != 45 || len(d.Tracking.Entities) != len(crm.Types) {
		t.Errorf("tracking form %+v", d.Tracking)
	}
	for _, e := range d.Tracking.Entities {
		if e.Tracked != (e.Name == "deal") || e.Tab != (e.Name == "deal") {
			t.Errorf("choice %+v: only deals are tracked and tabbed", e)
		}
	}
	if len(d.Fields) != len(crm.Types) || d.Fields[0].Entity != "deal" || len(d.Fields[0].Fields) == 0 || len(d.Fields[1].Fields) != 0 {
		t.Errorf("field groups: want deal's fields (read) and none of the others (not read)")
	}
	if len(d.Sync.Rows) != 1 || len(d.Chart.Days) != chartDays {
		t.Errorf("sync rows %d, chart days %d", len(d.Sync.Rows), len(d.Chart.Days))
	}
	if len(d.Feed) != 2 {
		t.Fatalf("feed %+v: want two changes", d.Feed)
	}
	first := d.Feed[0]
	if first.ID != 1 || len(first.Fields) != 2 || !strings.HasSuffix(first.URL, "/crm/deal/details/1/") || first.Author == "" {
		t.Errorf("first feed item %+v", first)
	}
	if d.Calls.Days != DefaultCallDays {
		t.Errorf("call log days %d", d.Calls.Days)
	}
}

func TestRecordURL(t *testing.T) {
	if got := recordURL("https://acme.bitrix24.com/rest/", "deal", 5); got != "https://acme.bitrix24.com/crm/deal/details/5/" {
		t.Errorf("recordURL = %s", got)
	}
	if got := recordURL("javascript:alert(1)", "deal", 5); got != "" {
		t.Errorf("recordURL of a bad endpoint = %q", got)
	}
}

func TestCallsFilterAndPage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	var values []string
	for i := range callsPage + 5 {
		values = append(values, fmt.Sprintf("(%d, now() - interval '%d minutes', 'crm.deal.get', 5, '')", f.in.ID, i))
	}
	values = append(values,
		fmt.Sprintf("(%d, now() - interval '2 days', 'batch', 5, 'QUERY_LIMIT_EXCEEDED')", f.in.ID),
		fmt.Sprintf("(%d, now(), 'user.get', 5, 'SECRET_OF_ANOTHER')", f.in.ID+1))
	if _, err := f.DB.Bun.ExecContext(ctx, "INSERT INTO api_calls (portal_id, at, method, duration_ms, error_code) VALUES "+strings.Join(values, ", ")); err != nil {
		t.Fatal(err)
	}
	l, err := f.svc.Calls(ctx, f.in.ID, CallQuery{Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Rows) != callsPage || l.Next == "" || l.Prev != "" {
		t.Errorf("first page: %d rows, next %q, prev %q", len(l.Rows), l.Next, l.Prev)
	}
	if len(l.Codes) != 1 || l.Codes[0] != "QUERY_LIMIT_EXCEEDED" {
		t.Errorf("error codes %v: want this portal's one", l.Codes)
	}
	l, err = f.svc.Calls(ctx, f.in.ID, CallQuery{Days: 3, Page: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Rows) != 6 || l.Next != "" || !strings.Contains(l.Prev, "page=0") {
		t.Errorf("second page: %d rows, next %q, prev %q", len(l.Rows), l.Next, l.Prev)
	}
	l, err = f.svc.Calls(ctx, f.in.ID, CallQuery{Method: "batch", Days: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Rows) != 0 {
		t.Errorf("the batch two days ago shows in a one-day log")
	}
	l, err = f.svc.Calls(ctx, f.in.ID, CallQuery{Method: "batch", Days: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Rows) != 1 || l.Rows[0].ErrorCode != "QUERY_LIMIT_EXCEEDED" {
		t.Errorf("method filter: %+v", l.Rows)
	}
}
