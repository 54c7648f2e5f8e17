package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

func addPortal(t *testing.T, d *db.DB, member string) int64 {
	t.Helper()
	in := &db.Installation{MemberID: member, Domain: member + ".example", ClientEndpoint: "https://" + member + ".example/rest/", AuthMode: "oauth", Status: db.StatusActive}
	if _, err := d.Bun.NewInsert().Model(in).ExcludeColumn("id", "installed_at", "updated_at").Returning("id").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	return in.ID
}

// addChange writes one change of fields at a time.
func addChange(t *testing.T, d *db.DB, portalID, id int64, at time.Time, fields ...string) int64 {
	t.Helper()
	ctx := context.Background()
	ids, _, err := db.ChangeIDsAndReverts(ctx, d.Bun, portalID, 1)
	if err != nil {
		t.Fatal(err)
	}
	var rows []*db.HistoryRow
	for _, f := range fields {
		rows = append(rows, &db.HistoryRow{PortalID: portalID, Entity: crm.Deal, EntityID: id, ChangeID: ids[0], Action: "updated",
			Field: f, ChangeKind: "changed", ChangedAt: at, Source: "person"})
	}
	if err := db.AddHistory(ctx, d.Pool, rows); err != nil {
		t.Fatal(err)
	}
	return ids[0]
}

func TestRecentChangesAndChangesPerDay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	a, b := addPortal(t, d, "feed-a"), addPortal(t, d, "feed-b")
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	old := addChange(t, d, a, 1, today.AddDate(0, 0, -3).Add(12*time.Hour), "TITLE")
	mid := addChange(t, d, a, 2, today.Add(time.Hour), "TITLE", "OPPORTUNITY", "STAGE_ID")
	last := addChange(t, d, a, 1, today.Add(2*time.Hour), "COMMENTS")
	addChange(t, d, b, 1, today.Add(3*time.Hour), "TITLE") // another portal's, newer than all

	rows, err := db.RecentChanges(ctx, d.Bun, a, 2)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, r := range rows {
		if r.PortalID != a {
			t.Fatalf("row of portal %d in portal %d's feed", r.PortalID, a)
		}
		got = append(got, r.ChangeID)
	}
	want := []int64{last, mid, mid, mid}
	if len(got) != len(want) {
		t.Fatalf("changes %v, want %v (old change %d left out)", got, want, old)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("changes %v, want %v", got, want)
		}
	}

	days, err := db.ChangesPerDay(ctx, d.Bun, a, 5, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 5 {
		t.Fatalf("%d days, want 5", len(days))
	}
	var total int64
	for _, day := range days {
		total += day.Changes
	}
	// Three changes (not five changed fields) in the window, none of B's.
	if total != 3 || days[1].Changes != 1 || days[4].Changes != 2 || !days[4].Day.Equal(today) {
		t.Errorf("per day = %+v", days)
	}
}

func TestAPICallsFilter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	a, b := addPortal(t, d, "calls-a"), addPortal(t, d, "calls-b")
	now := time.Now()
	add := func(portal int64, ago time.Duration, method, code string, waited float64) {
		_, err := d.Pool.Exec(ctx, `INSERT INTO api_calls (portal_id, at, method, error_code, duration_ms, waited_ms) VALUES ($1, $2, $3, $4, 10, $5)`,
			portal, now.Add(-ago), method, code, waited)
		if err != nil {
			t.Fatal(err)
		}
	}
	add(a, time.Minute, "crm.deal.list", "", 0)
	add(a, 2*time.Minute, "crm.deal.get", "QUERY_LIMIT_EXCEEDED", 300)
	add(a, 3*time.Minute, "crmXdeal.get", "", 100) // matches crm_deal only if _ were a wildcard
	add(a, 2*time.Hour, "crm.lead.list", "", 0)
	add(a, 5*24*time.Hour, "crm.deal.list", "", 0) // older than the period
	add(b, time.Minute, "crm.deal.list", "", 0)

	since := now.Add(-3 * 24 * time.Hour)
	count := func(f db.APICallFilter) int {
		f.Since = since
		rows, _, err := db.APICalls(ctx, d.Bun, a, f, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		return len(rows)
	}
	for _, tc := range []struct {
		f    db.APICallFilter
		want int
	}{
		{db.APICallFilter{}, 4},
		{db.APICallFilter{MethodPrefix: "crm.deal"}, 2},
		{db.APICallFilter{MethodPrefix: "crm_deal"}, 0},
		{db.APICallFilter{Outcome: db.OutcomeOK}, 3},
		{db.APICallFilter{Outcome: db.OutcomeError}, 1},
		{db.APICallFilter{Outcome: "QUERY_LIMIT_EXCEEDED", MethodPrefix: "crm.deal.get"}, 1},
		{db.APICallFilter{Outcome: "NO_SUCH_CODE"}, 0},
	} {
		if got := count(tc.f); got != tc.want {
			t.Errorf("%+v: %d calls, want %d", tc.f, got, tc.want)
		}
	}
	page, more, err := db.APICalls(ctx, d.Bun, a, db.APICallFilter{Since: since}, 0, 3)
	if err != nil || !more || len(page) != 3 || page[0].Method != "crm.deal.list" {
		t.Errorf("first page of 3: %d rows, more %v, err %v", len(page), more, err)
	}
	page, more, _ = db.APICalls(ctx, d.Bun, a, db.APICallFilter{Since: since}, 3, 3)
	if more || len(page) != 1 || page[0].Method != "crm.lead.list" {
		t.Errorf("second page: %+v, more %v", page, more)
	}

	p, err := db.RatePressureSince(ctx, d.Bun, a, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if p.Calls != 3 || p.Waited != 2 || p.AvgWaitMS != 200 || p.LimitErrors != 1 || p.WaitedShare < 0.66 || p.WaitedShare > 0.67 {
		t.Errorf("pressure = %+v", p)
	}
}
