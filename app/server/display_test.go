package server_test

import (
	"encoding/csv"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// The tab shows what the portal's own card shows: times in the portal's
// zone for a user without one of their own, names instead of IDs, and a
// CSV with ISO 8601 times that no spreadsheet runs as a formula.
func TestDisplayTimesNamesCSV(t *testing.T) {
	t.Parallel()
	var log trailtest.Buffer
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Deals: 5, Contacts: 5, Companies: 5, Leads: 5, Seed: 11}, Log: &log, LogLevel: slog.LevelWarn})
	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	changes := func(deal int64) int {
		seen := map[int64]bool{}
		for _, r := range s.History(t, id, crm.Deal, deal) {
			seen[r.ChangeID] = true
		}
		return len(seen)
	}
	company, _ := p.Record("company", 2)
	owner := p.Users()[2] // user 3
	deal, err := p.AddRecord("deal", p.AdminID(), map[string]any{
		"TITLE": "=HYPERLINK(\"http://evil.example\",\"Open\")", "CATEGORY_ID": "0", "CURRENCY_ID": "EUR",
		"OPPORTUNITY": "1500", "COMPANY_ID": "2", "SOURCE_ID": "CALL", "TYPE_ID": "SALE", "ASSIGNED_BY_ID": "3",
	})
	if err != nil {
		t.Fatal(err)
	}
	// Edits in quick succession can reach Trail as one change: wait for the
	// creation first.
	trailtest.Eventually(t, "the deal's creation", func() bool {
		return changes(int64(deal)) == 1
	})
	if err := p.UpdateRecord("deal", deal, p.AdminID(), map[string]any{"CURRENCY_ID": "USD", "COMPANY_ID": "999"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the deal's two changes", func() bool {
		return changes(int64(deal)) == 2
	})
	rec, _ := p.Record("deal", deal)
	modified, err := time.Parse(time.RFC3339, rec["DATE_MODIFY"].(string))
	if err != nil {
		t.Fatal(err)
	}
	_, portalOffset := modified.Zone()
	if portalOffset == 0 {
		t.Fatal("the check needs a portal away from UTC")
	}
	for _, r := range s.History(t, id, crm.Deal, int64(deal)) {
		if r.UTCOffset == nil || int(*r.UTCOffset) != portalOffset {
			t.Errorf("a row lacks the portal's offset %d: %+v", portalOffset, r)
		}
	}

	// The admin keeps the portal's zone: the tab shows the portal's time.
	f, status, body := s.OpenTab(t, p, p.AdminID(), "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	if status != 200 {
		t.Fatalf("tab = %d", status)
	}
	if want := modified.Format("02.01.2006 15:04"); !strings.Contains(body, ">"+want+"</time>") || !strings.Contains(body, modified.Format("-07:00")+`"`) {
		t.Errorf("the tab does not show the portal's time %s (%s):\n%s", want, modified.Format(time.RFC3339), trailtest.Between(body, `<ol id="timeline"`, `</ol>`))
	}
	// Every ID-valued field shows a name (the newest entry comes first).
	for field, want := range map[string][]string{
		"CATEGORY_ID":    {"General"},
		"CURRENCY_ID":    {"Euro", "US Dollar"},
		"COMPANY_ID":     {company["TITLE"].(string), "Company #999"},
		"SOURCE_ID":      {"Call"},
		"TYPE_ID":        {"Sales"},
		"STAGE_ID":       {"New"},
		"ASSIGNED_BY_ID": {owner.Name + " " + owner.LastName},
	} {
		row := trailtest.Between(body, `data-field="`+field+`"`, "</tr>")
		for _, w := range want {
			if !strings.Contains(row, w) {
				t.Errorf("%s shows %q, want %q in it", field, row, w)
			}
		}
	}
	if !strings.Contains(body, "quick succession") {
		t.Error("the tab's help does not say that quick edits can merge")
	}

	// The CSV: ISO 8601 times with the portal's offset, names, no formulas.
	status, out := f.Get("/tab/deal/" + itoaInt(deal) + "/export.csv")
	if status != 200 {
		t.Fatalf("export = %d", status)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	titles := 0
	for _, row := range rows[1:] {
		at, err := time.Parse(time.RFC3339, row[0])
		if _, off := at.Zone(); err != nil || off != portalOffset {
			t.Errorf("CSV time %q is not ISO 8601 in the portal's offset", row[0])
		}
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("CSV cell %q would run as a formula", cell)
			}
		}
		if row[4] == "Title" {
			titles++
			if row[6] != `'=HYPERLINK("http://evil.example","Open")` {
				t.Errorf("planted title exported as %q", row[6])
			}
		}
	}
	if titles != 1 || !strings.Contains(out, "General") {
		t.Errorf("CSV lacks the title or the pipeline name:\n%s", out)
	}

	// A user with a zone of their own sees it (user 2 works in Moscow time).
	_, _, body = s.OpenTab(t, p, 2, "CRM_DEAL_DETAIL_TAB", itoaInt(deal))
	moscow, _ := time.LoadLocation("Europe/Moscow")
	if !strings.Contains(body, ">"+modified.In(moscow).Format("02.01.2006 15:04")+"</time>") {
		t.Errorf("user 2 does not see Moscow time")
	}

	// Filters that name nothing answer 400 with a reason, and log no error.
	for _, q := range []string{"field=TITLE%00", "field=" + strings.Repeat("A", 101), "from=0000-01-01", "to=99999-01-01",
		"from=1969-12-31", "person=-1", "after=-9223372036854775808_1", "after=9223372036854775807_1", "after=1_0", "after=x"} {
		for _, path := range []string{"/entries?", "/export.csv?"} {
			status, msg := f.Get("/tab/deal/" + itoaInt(deal) + path + q)
			if status != 400 || !strings.Contains(msg, "must be") {
				t.Errorf("%s%s = %d %q, want 400 with a reason", path, q, status, msg)
			}
		}
	}
	q := url.Values{"field": {"TITLE"}, "from": {"2020-01-01"}, "to": {"2999-12-31"}}
	if status, frag := f.Get("/tab/deal/" + itoaInt(deal) + "/entries?" + q.Encode()); status != 200 || !strings.Contains(frag, "HYPERLINK") {
		t.Errorf("a good filter = %d", status)
	}
	// A deletion carries the offset of the record's last known state.
	if err := p.DeleteRecord("deal", deal, p.AdminID()); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the deletion", func() bool {
		for _, r := range s.History(t, id, crm.Deal, int64(deal)) {
			if r.Action == "deleted" && r.UTCOffset != nil && int(*r.UTCOffset) == portalOffset {
				return true
			}
		}
		return false
	})
	if strings.Contains(log.String(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", log.String())
	}
}
