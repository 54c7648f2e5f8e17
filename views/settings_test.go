package views

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"
)

func render(t *testing.T, ctx context.Context, c templ.Component) string {
	t.Helper()
	var b strings.Builder
	if err := c.Render(ctx, &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSyncBarPollsOnlyWhileWorkIsLeft(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		p     SyncProgress
		polls bool
	}{
		{"running", SyncProgress{Rows: []SyncRow{{Entity: "deal", State: "running", Done: 5, Total: 10}, {Entity: "lead", State: "done", Done: 3, Total: 3}}}, true},
		{"pending", SyncProgress{Rows: []SyncRow{{Entity: "deal", State: "pending"}}}, true},
		{"all done", SyncProgress{Rows: []SyncRow{{Entity: "deal", State: "done", Done: 10, Total: 10}}}, false},
		{"failed", SyncProgress{Rows: []SyncRow{{Entity: "deal", State: "failed", Done: 2, Total: 10}}}, false},
		{"no access", SyncProgress{Stalled: true, Rows: []SyncRow{{Entity: "deal", State: "pending"}}}, false},
	} {
		out := render(t, ctx, SyncBar(tc.p))
		if got := strings.Contains(out, `hx-trigger="every 1s"`); got != tc.polls {
			t.Errorf("%s: polls = %v, want %v: %s", tc.name, got, tc.polls, out)
		}
		// A poll must not land while the resync form's request is out (see
		// SyncBar).
		if tc.polls && !strings.Contains(out, `hx-sync="closest section:drop"`) {
			t.Errorf("%s: the poll does not give way to the resync form: %s", tc.name, out)
		}
	}
	out := render(t, ctx, SyncBar(SyncProgress{OOB: true}))
	if !strings.Contains(out, `id="sync-progress"`) || !strings.Contains(out, `hx-swap-oob="true"`) {
		t.Errorf("out-of-band bar: %s", out)
	}
}

func TestSyncRowPercent(t *testing.T) {
	for _, tc := range []struct {
		r    SyncRow
		want int64
	}{
		{SyncRow{State: "running", Done: 1, Total: 3}, 33},
		{SyncRow{State: "running", Done: 12, Total: 10}, 100},
		{SyncRow{State: "done"}, 100},
		{SyncRow{State: "pending"}, 0},
	} {
		if got := tc.r.Percent(); got != tc.want {
			t.Errorf("%+v: %d%%, want %d%%", tc.r, got, tc.want)
		}
	}
}

func TestChartIsAccessibleSVG(t *testing.T) {
	start := time.Date(2026, 10, 25, 0, 0, 0, 0, time.UTC)
	var c Chart
	for i := range 30 {
		c.Days = append(c.Days, ChartDay{Day: start.AddDate(0, 0, i), Changes: int64(i % 5)})
	}
	out := render(t, context.Background(), chartSection(c))
	for _, want := range []string{`role="img"`, `aria-labelledby="chart-title chart-desc"`, `<title id="chart-title">Changes per day, last 30 days</title>`,
		`<desc id="chart-desc">60 changes over 30 days; the busiest day had 4.</desc>`, `<title>25.10: 0 changes</title>`, `<title>23.11: 4 changes</title>`} {
		if !strings.Contains(out, want) {
			t.Errorf("chart lacks %s", want)
		}
	}
	if strings.Contains(out, "<script") || strings.Contains(out, "style=") {
		t.Error("the chart needs a script or an inline style, which the page's CSP forbids")
	}
	heights := regexp.MustCompile(`<rect class="bar" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"`).FindAllStringSubmatch(out, -1)
	if len(heights) != 30 {
		t.Fatalf("%d bars, want 30", len(heights))
	}
	// The busiest days reach the top of the plot; empty days have no bar.
	if heights[0][1] != "0.0" || heights[4][1] != "120.0" || heights[2][1] != "60.0" {
		t.Errorf("bar heights: day 0 %s, day 2 %s, day 4 %s", heights[0][1], heights[2][1], heights[4][1])
	}
	if n := strings.Count(out, `text-anchor="middle"`); n != 5 {
		t.Errorf("%d date labels, want 5 (weekly and the last day)", n)
	}
	empty := render(t, context.Background(), chartSection(Chart{Days: c.Days[:3:3]}))
	if strings.Contains(empty, "NaN") || strings.Contains(empty, "Inf") {
		t.Errorf("a short chart draws bad numbers: %s", empty)
	}
}

func TestSettingsSpeaksRussian(t *testing.T) {
	ctx := WithLang(context.Background(), "ru")
	out := render(t, ctx, trackingForm(TrackingForm{RetentionDays: 30, MinRetention: 1, MaxRetention: 36500,
		Entities: []EntityChoice{{Name: "deal", Label: T(ctx, "settings.entity.deal"), Tracked: true}}}))
	for _, want := range []string{"Что отслеживать", "Сделки", "Хранить историю", "Сохранить"} {
		if !strings.Contains(out, want) {
			t.Errorf("Russian tracking form lacks %q", want)
		}
	}
	for key := range catalogues["en"] {
		if strings.HasPrefix(key, "settings.") {
			if _, ok := catalogues["ru"][key]; !ok {
				t.Errorf("no Russian for %s", key)
			}
		}
	}
}

func TestFeedEscapesPortalText(t *testing.T) {
	out := render(t, context.Background(), feedSection([]FeedItem{{
		At: time.Now(), Author: `<img src=x onerror=alert(1)>`, Action: "updated", Entity: "deal", EntityLabel: "Deal", ID: 5,
		URL: "https://portal.example/crm/deal/details/5/", Fields: []string{`<b>Title</b>`},
	}}))
	if strings.Contains(out, "<img src=x") || strings.Contains(out, "<b>Title") {
		t.Errorf("portal text reached the page unescaped: %s", out)
	}
	if !strings.Contains(out, `href="https://portal.example/crm/deal/details/5/"`) {
		t.Errorf("feed item not linked to its record: %s", out)
	}
}
