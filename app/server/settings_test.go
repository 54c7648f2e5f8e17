package server_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/trailtest"
)

// frameClient talks to Trail as a page inside a portal's iframe does: the
// session token travels in a header, and no cookie ever appears.
type frameClient struct {
	t     *testing.T
	s     *stack
	token string
}

// enterApp opens the app's main page (placement DEFAULT) as userID of p.
func (s *stack) enterApp(t *testing.T, p *b24test.Portal, userID int) (*frameClient, int, string) {
	t.Helper()
	tok, err := p.IssueTokens(userID)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{
		"AUTH_ID": {tok.AccessToken}, "AUTH_EXPIRES": {"3600"}, "REFRESH_ID": {tok.RefreshToken},
		"member_id": {p.MemberID()}, "status": {"L"}, "PLACEMENT": {"DEFAULT"}, "PLACEMENT_OPTIONS": {"{}"},
		"APPLICATION_TOKEN": {p.ApplicationToken()},
	}
	fc := &frameClient{t: t, s: s}
	status, body := fc.do("POST", "/bitrix/app?LANG=en&DOMAIN="+url.QueryEscape(p.Domain()), form)
	return fc, status, body
}

// do sends a request with the session header and returns status and body.
// GET requests carry form as the query.
func (fc *frameClient) do(method, path string, form url.Values) (int, string) {
	fc.t.Helper()
	var body io.Reader
	if method == "GET" && form != nil {
		path += "?" + form.Encode()
	} else if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, fc.s.Base+path, body)
	if err != nil {
		fc.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if fc.token != "" {
		req.Header.Set("X-Session-Token", fc.token)
	}
	req.Header.Set("HX-Request", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fc.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
		fc.t.Errorf("%s %s set a cookie: %v", method, path, c)
	}
	if tok := resp.Header.Get("X-Session-Token"); tok != "" {
		fc.token = tok
	}
	return resp.StatusCode, string(b)
}

// must is do that expects a status.
func (fc *frameClient) must(want int, method, path string, form url.Values) string {
	fc.t.Helper()
	status, body := fc.do(method, path, form)
	if status != want {
		fc.t.Fatalf("%s %s = %d, want %d: %.300s", method, path, status, want, body)
	}
	return body
}

func (s *stack) portalID(t *testing.T, p *b24test.Portal) int64 {
	t.Helper()
	var id int64
	if err := s.DB.Pool.QueryRow(context.Background(), "SELECT id FROM installations WHERE member_id = $1", p.MemberID()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (s *stack) settingsRow(t *testing.T, portalID int64) string {
	t.Helper()
	var row string
	err := s.DB.Pool.QueryRow(context.Background(),
		"SELECT row_to_json(x)::text FROM (SELECT entities, ignored_fields, tabs, retention_days FROM portal_settings WHERE portal_id = $1) x", portalID).Scan(&row)
	if err != nil {
		t.Fatal(err)
	}
	return row
}

func boundTabs(p *b24test.Portal) map[string]bool {
	out := map[string]bool{}
	for _, pl := range p.Placements() {
		if strings.HasSuffix(pl.Handler, "/bitrix/tab") {
			out[pl.Code] = true
		}
	}
	return out
}

// dealFields are the deal fields an admin can choose from, as the settings
// page lists them (the stored field list less the system fields).
func (s *stack) dealFields(t *testing.T, portalID int64) []string {
	t.Helper()
	var raw []byte
	if err := s.DB.Pool.QueryRow(context.Background(), "SELECT data FROM portal_meta WHERE portal_id = $1 AND kind = 'fields:deal'", portalID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	schema, err := history.ParseFields(raw)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for code := range schema.Fields {
		if !history.IsSystemField(code) {
			out = append(out, code)
		}
	}
	slices.Sort(out)
	return out
}

var syncRow = regexp.MustCompile(`data-entity="(\w+)" data-done="(\d+)" data-total="(\d+)"`)

func TestSettingsPage(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 2, Deals: 40, Leads: 5, Contacts: 6, Companies: 3, Seed: 11}})
	p, other := s.Emu.Portals()[0], s.Emu.Portals()[1]
	for _, x := range []*b24test.Portal{p, other} {
		if _, err := x.Install(); err != nil {
			t.Fatal(err)
		}
	}
	trailtest.Eventually(t, "both baselines", func() bool {
		return s.Count(t, "SELECT count(*) FROM sync_state WHERE state = 'done'") == 8
	})
	portalID, otherID := s.portalID(t, p), s.portalID(t, other)

	admin, status, page := s.enterApp(t, p, p.AdminID())
	if status != http.StatusOK {
		t.Fatalf("admin entry = %d: %.300s", status, page)
	}

	t.Run("admin sees every section", func(t *testing.T) {
		for _, want := range []string{
			`id="tracking-title"`, `name="entity" value="deal"`, `name="tab" value="company"`, `name="retention_days"`,
			`id="fields-title"`, `hx-post="/settings/fields/deal"`, `name="field" value="TITLE"`,
			`id="sync-progress"`, `hx-post="/settings/resync"`,
			`id="health-title"`, "Active", `hx-get="/settings/health/portal"`, "Rate limits, last hour",
			`id="chart-heading"`, `<svg class="changes-chart"`, `role="img"`, `<title id="chart-title">`,
			`id="feed-title"`, `id="calls-title"`, `id="calls-log"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("settings page lacks %s", want)
			}
		}
		if strings.Contains(page, `id="reauth"`) {
			t.Error("an active installation shows the re-authorisation banner")
		}
		if n := strings.Count(page, `<rect class="bar"`); n != 30 {
			t.Errorf("chart has %d bars, want 30", n)
		}
		health := admin.must(200, "GET", "/settings/health/portal", nil)
		if !regexp.MustCompile(`(\d+) of (\d+) bound`).MatchString(health) || !strings.Contains(health, "events waiting") {
			t.Errorf("portal health = %s", health)
		}
		if m := regexp.MustCompile(`(\d+) of (\d+) bound`).FindStringSubmatch(health); m != nil && m[1] != m[2] {
			t.Errorf("event bindings: %s", m[0])
		}
		// The log is written in batches, a second apart.
		var calls string
		trailtest.Eventually(t, "baseline calls in the log", func() bool {
			calls = admin.must(200, "GET", "/settings/calls", url.Values{"method": {"crm.deal"}, "outcome": {"ok"}, "days": {"1"}})
			return strings.Contains(calls, "crm.deal.list")
		})
		if strings.Contains(calls, "event.get") || strings.Contains(calls, "crm.lead.") {
			t.Error("the method filter let other methods through")
		}
	})

	t.Run("non-admin is refused on every settings route", func(t *testing.T) {
		before := s.settingsRow(t, portalID)
		refused, status, body := s.enterApp(t, p, p.UserIDs()[1])
		if status != http.StatusForbidden || !strings.Contains(body, "Only portal administrators") {
			t.Fatalf("non-admin entry = %d: %.300s", status, body)
		}
		if refused.token != "" {
			t.Error("the refused entry opened a session")
		}
		// The non-admin's session comes from a record's tab.
		resp := framePost(t, s.Base, "/bitrix/tab", p, p.UserIDs()[1], "CRM_DEAL_DETAIL_TAB", `{"ID":"1"}`)
		user := &frameClient{t: t, s: s, token: between(readBody(t, resp), `data-session="`, `"`)}
		if resp.StatusCode != http.StatusOK || user.token == "" {
			t.Fatalf("no session for the non-admin from a tab (%d): the routes below would be refused for that reason only", resp.StatusCode)
		}
		for _, r := range []struct {
			method, path string
			form         url.Values
		}{
			{"POST", "/settings/tracking", url.Values{"entity": {"deal"}, "tab": {}, "retention_days": {"5"}}},
			{"POST", "/settings/fields/deal", url.Values{"field": {"TITLE"}}},
			{"POST", "/settings/resync", nil},
			{"GET", "/settings/sync", nil},
			{"GET", "/settings/health", nil},
			{"GET", "/settings/health/portal", nil},
			{"GET", "/settings/calls", nil},
			{"POST", "/settings/reauthorize", url.Values{"REFRESH_ID": {"x"}}},
		} {
			if status, body := user.do(r.method, r.path, r.form); status != http.StatusForbidden {
				t.Errorf("non-admin %s %s = %d, want 403: %.200s", r.method, r.path, status, body)
			}
		}
		if after := s.settingsRow(t, portalID); after != before {
			t.Errorf("a non-admin changed the settings: %s -> %s", before, after)
		}
		if n := s.Count(t, "SELECT count(*) FROM river_job WHERE kind = 'sync_entity' AND args->>'full' = 'true'"); n != 0 {
			t.Errorf("a non-admin started %d resyncs", n)
		}
	})

	t.Run("invalid forms are refused and save nothing", func(t *testing.T) {
		before := s.settingsRow(t, portalID)
		for _, r := range []struct {
			path, want string
			form       url.Values
		}{
			{"/settings/tracking", "Unknown CRM type", url.Values{"entity": {"deal", "invoice"}, "retention_days": {"30"}}},
			{"/settings/tracking", "Unknown CRM type", url.Values{"entity": {"deal"}, "tab": {"quote"}, "retention_days": {"30"}}},
			{"/settings/tracking", "between 1 and 36500", url.Values{"entity": {"deal"}, "retention_days": {"0"}}},
			{"/settings/tracking", "between 1 and 36500", url.Values{"entity": {"deal"}, "retention_days": {"36501"}}},
			{"/settings/tracking", "between 1 and 36500", url.Values{"entity": {"deal"}, "retention_days": {"a year"}}},
			{"/settings/fields/deal", `Unknown field &#34;NO_SUCH_FIELD&#34;`, url.Values{"field": {"TITLE", "NO_SUCH_FIELD"}}},
			{"/settings/fields/invoice", "Unknown CRM type", url.Values{"field": {"TITLE"}}},
		} {
			body := admin.must(http.StatusBadRequest, "POST", r.path, r.form)
			if !strings.Contains(body, r.want) {
				t.Errorf("POST %s %v answered %q, want it to say %q", r.path, r.form, body, r.want)
			}
		}
		for _, q := range []url.Values{{"method": {"crm.%"}}, {"outcome": {"ok' OR 1=1"}}, {"days": {"90"}}, {"page": {"-1"}}} {
			if body := admin.must(http.StatusBadRequest, "GET", "/settings/calls", q); !strings.Contains(body, `id="calls-log"`) || !strings.Contains(body, `role="alert"`) {
				t.Errorf("refused filter %v answered %s; the log's element must stay for the next filter", q, body)
			}
		}
		if after := s.settingsRow(t, portalID); after != before {
			t.Errorf("an invalid form changed the settings: %s -> %s", before, after)
		}
	})

	t.Run("tabs off unbind and on bind", func(t *testing.T) {
		all := []string{"deal", "lead", "contact", "company"}
		body := admin.must(200, "POST", "/settings/tracking", url.Values{"entity": all, "tab": {"deal", "lead"}, "retention_days": {"365"}})
		if !strings.Contains(body, "Saved. New changes") {
			t.Errorf("save answered %q", body)
		}
		tabs := boundTabs(p)
		if !tabs["CRM_DEAL_DETAIL_TAB"] || !tabs["CRM_LEAD_DETAIL_TAB"] || tabs["CRM_CONTACT_DETAIL_TAB"] || tabs["CRM_COMPANY_DETAIL_TAB"] {
			t.Errorf("after turning contact and company tabs off, bound tabs = %v", tabs)
		}
		if row := s.settingsRow(t, portalID); !strings.Contains(row, `"retention_days":365`) || !strings.Contains(row, `"tabs":["deal","lead"]`) {
			t.Errorf("stored settings = %s", row)
		}
		admin.must(200, "POST", "/settings/tracking", url.Values{"entity": all, "tab": all, "retention_days": {"365"}})
		if tabs := boundTabs(p); len(tabs) != 4 {
			t.Errorf("after turning every tab on, bound tabs = %v", tabs)
		}
		if tabs := boundTabs(other); len(tabs) != 4 {
			t.Errorf("the other portal's tabs changed: %v", tabs)
		}
	})

	t.Run("a type turned off records nothing, turned on again is set up", func(t *testing.T) {
		all := []string{"deal", "lead", "contact", "company"}
		body := admin.must(200, "POST", "/settings/tracking", url.Values{"entity": {"deal", "lead", "contact"}, "tab": all, "retention_days": {"365"}})
		if !strings.Contains(body, "Saved. New changes") {
			t.Errorf("turning companies off answered %q", body)
		}
		delivered := len(p.Deliveries())
		if err := p.UpdateRecord("company", 1, p.AdminID(), map[string]any{"TITLE": "Untracked rename"}); err != nil {
			t.Fatal(err)
		}
		if err := p.UpdateRecord("deal", 1, p.AdminID(), map[string]any{"OPPORTUNITY": "101"}); err != nil {
			t.Fatal(err)
		}
		// Both events reached Trail, and the inbox is drained.
		trailtest.Eventually(t, "both events delivered", func() bool {
			n := 0
			for _, d := range p.Deliveries()[delivered:] {
				if d.Status == http.StatusOK && (d.Event == "ONCRMCOMPANYUPDATE" || d.Event == "ONCRMDEALUPDATE") {
					n++
				}
			}
			return n >= 2
		})
		trailtest.Eventually(t, "the deal's edit recorded", func() bool {
			return s.Count(t, "SELECT count(*) FROM history WHERE portal_id = $1 AND entity = 'deal' AND entity_id = 1", portalID) > 0
		})
		trailtest.Eventually(t, "inbox empty", func() bool {
			return s.Count(t, "SELECT count(*) FROM inbox WHERE portal_id = $1", portalID) == 0
		})
		if n := s.Count(t, "SELECT count(*) FROM history WHERE portal_id = $1 AND entity = 'company'", portalID); n != 0 {
			t.Errorf("%d history rows of an untracked type", n)
		}
		setups := func() int {
			return s.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'setup_portal' AND state = 'completed' AND (args->>'portal_id')::bigint = $1`, portalID)
		}
		before := setups()
		body = admin.must(200, "POST", "/settings/tracking", url.Values{"entity": all, "tab": all, "retention_days": {"365"}})
		if !strings.Contains(body, "connecting the newly tracked types") || !strings.Contains(body, `hx-swap-oob="true"`) {
			t.Errorf("turning companies on answered %q", body)
		}
		trailtest.Eventually(t, "setup after turning companies on", func() bool { return setups() == before+1 })
	})

	t.Run("an ignored field stops new history at once", func(t *testing.T) {
		var keep []string
		for _, f := range s.dealFields(t, portalID) {
			if f != "TITLE" {
				keep = append(keep, f)
			}
		}
		body := admin.must(200, "POST", "/settings/fields/deal", url.Values{"field": keep})
		if !strings.Contains(body, "Saved") {
			t.Errorf("save answered %q", body)
		}
		const dealID = 7
		if err := p.UpdateRecord("deal", dealID, p.AdminID(), map[string]any{"TITLE": "Not recorded", "OPPORTUNITY": "777"}); err != nil {
			t.Fatal(err)
		}
		trailtest.Eventually(t, "history of the edit", func() bool {
			return s.Count(t, "SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = $2 AND field = 'OPPORTUNITY'", portalID, dealID) == 1
		})
		trailtest.Eventually(t, "inbox empty", func() bool {
			return s.Count(t, "SELECT count(*) FROM inbox WHERE portal_id = $1", portalID) == 0
		})
		if n := s.Count(t, "SELECT count(*) FROM history WHERE portal_id = $1 AND field = 'TITLE'", portalID); n != 0 {
			t.Errorf("%d TITLE rows recorded after TITLE was ignored", n)
		}
		// Tracked again: recorded again.
		admin.must(200, "POST", "/settings/fields/deal", url.Values{"field": append(keep, "TITLE")})
		if err := p.UpdateRecord("deal", dealID, p.AdminID(), map[string]any{"TITLE": "Recorded"}); err != nil {
			t.Fatal(err)
		}
		trailtest.Eventually(t, "TITLE recorded again", func() bool {
			return s.Count(t, "SELECT count(*) FROM history WHERE portal_id = $1 AND field = 'TITLE'", portalID) == 1
		})
		// The feed shows the edit, linked to the record.
		_, _, page := s.enterApp(t, p, p.AdminID())
		if !strings.Contains(page, `data-entity="deal" data-id="7"`) || !strings.Contains(page, "/crm/deal/details/7/") {
			t.Errorf("the feed lacks the edit of deal 7")
		}
	})

	t.Run("resync reaches done == total", func(t *testing.T) {
		// As an admin finds it: the baselines from the saves above are over.
		// (A type whose baseline is being copied right now keeps that run.)
		trailtest.Eventually(t, "earlier baselines over", func() bool {
			return s.Count(t, `SELECT count(*) FROM river_job WHERE kind IN ('sync_entity', 'setup_portal')
				AND state NOT IN ('completed', 'cancelled', 'discarded')`) == 0
		})
		var asked time.Time
		if err := s.DB.Pool.QueryRow(context.Background(), "SELECT now()").Scan(&asked); err != nil {
			t.Fatal(err)
		}
		// The answer polls while anything is left to copy; the emulator's
		// portal is small, so the copy may be over already.
		body := admin.must(200, "POST", "/settings/resync", nil)
		if strings.Contains(body, `class="sync-row pending"`) && !strings.Contains(body, `hx-trigger="every 1s"`) {
			t.Fatalf("resync answer shows work waiting but does not poll: %.400s", body)
		}
		trailtest.Eventually(t, "progress bar stops polling", func() bool {
			body = admin.must(200, "GET", "/settings/sync", nil)
			return !strings.Contains(body, "hx-trigger")
		})
		rows := syncRow.FindAllStringSubmatch(body, -1)
		if len(rows) != 4 {
			t.Fatalf("progress rows = %v in %s", rows, body)
		}
		for _, r := range rows {
			if r[2] != r[3] || r[2] == "0" {
				t.Errorf("%s finished at %s / %s", r[1], r[2], r[3])
			}
		}
		if !strings.Contains(body, `data-entity="deal" data-done="40" data-total="40"`) {
			t.Errorf("deal progress: %s", body)
		}
		if n := s.Count(t, "SELECT count(*) FROM sync_state WHERE portal_id = $1 AND state = 'done' AND started_at >= $2 AND done = total", portalID, asked); n != 4 {
			t.Errorf("%d types copied again from the first record, want 4", n)
		}
	})

	t.Run("one portal's admin cannot read another's", func(t *testing.T) {
		if err := other.UpdateRecord("deal", 3, other.AdminID(), map[string]any{"TITLE": "Other portal secret"}); err != nil {
			t.Fatal(err)
		}
		trailtest.Eventually(t, "other portal's history", func() bool {
			return s.Count(t, "SELECT count(*) FROM history WHERE portal_id = $1", otherID) > 0
		})
		if _, err := s.DB.Pool.Exec(context.Background(),
			"INSERT INTO api_calls (portal_id, at, method, duration_ms) VALUES ($1, now(), 'crm.isolation.check', 1)", otherID); err != nil {
			t.Fatal(err)
		}
		_, _, otherPage := s.enterApp(t, other, other.AdminID())
		if !strings.Contains(otherPage, "crm.isolation.check") || !strings.Contains(otherPage, `data-entity="deal" data-id="3"`) {
			t.Fatal("the other portal's own admin does not see its call and change (the checks below would prove nothing)")
		}
		_, _, page := s.enterApp(t, p, p.AdminID())
		if strings.Contains(page, "crm.isolation.check") || strings.Contains(page, `data-entity="deal" data-id="3"`) {
			t.Error("portal A's settings page shows portal B's data")
		}
		calls := admin.must(200, "GET", "/settings/calls", url.Values{"method": {"crm.isolation"}})
		if strings.Contains(calls, "crm.isolation.check") {
			t.Error("portal A's call log lists portal B's call")
		}
		// A's session sent to B's entry does not become B's session.
		if st, _ := admin.do("POST", "/bitrix/app?LANG=en", url.Values{"member_id": {other.MemberID()}, "AUTH_ID": {"stolen"}, "PLACEMENT": {"DEFAULT"}}); st != http.StatusUnauthorized {
			t.Errorf("entry with a foreign token = %d, want 401", st)
		}
	})

	t.Run("re-authorisation restores the installation", func(t *testing.T) {
		p.RevokeTokens()
		if _, err := s.DB.Pool.Exec(context.Background(), "UPDATE installations SET status = 'reauth' WHERE id = $1", portalID); err != nil {
			t.Fatal(err)
		}
		admin, status, page := s.enterApp(t, p, p.AdminID())
		if status != 200 || !strings.Contains(page, `data-reauthorize="/settings/reauthorize"`) {
			t.Fatalf("page of a portal needing re-authorisation = %d, banner missing", status)
		}
		if body := admin.must(http.StatusBadRequest, "POST", "/settings/resync", nil); !strings.Contains(body, `id="sync-progress"`) || !strings.Contains(body, "Restore Trail") {
			t.Errorf("resync without access answered %s", body)
		}
		foreign, err := other.IssueTokens(other.AdminID())
		if err != nil {
			t.Fatal(err)
		}
		admin.must(http.StatusForbidden, "POST", "/settings/reauthorize", url.Values{"REFRESH_ID": {foreign.RefreshToken}})
		admin.must(http.StatusBadRequest, "POST", "/settings/reauthorize", url.Values{"REFRESH_ID": {"not-a-token"}})
		if n := s.Count(t, "SELECT count(*) FROM installations WHERE id = $1 AND status = 'reauth'", portalID); n != 1 {
			t.Fatal("a refused re-authorisation changed the installation")
		}
		own, err := p.IssueTokens(p.AdminID())
		if err != nil {
			t.Fatal(err)
		}
		body := admin.must(200, "POST", "/settings/reauthorize", url.Values{"REFRESH_ID": {own.RefreshToken}})
		if !strings.Contains(body, "Access restored") {
			t.Errorf("re-authorisation answered %q", body)
		}
		if n := s.Count(t, "SELECT count(*) FROM installations WHERE id = $1 AND status = 'active'", portalID); n != 1 {
			t.Fatal("installation not active after re-authorisation")
		}
		if health := admin.must(200, "GET", "/settings/health", nil); !strings.Contains(health, `class="pill ok"`) {
			t.Errorf("health after re-authorisation: %.300s", health)
		}
		// The stored grant works: an edit is recorded again.
		if err := p.UpdateRecord("deal", 9, p.AdminID(), map[string]any{"OPPORTUNITY": "999"}); err != nil {
			t.Fatal(err)
		}
		trailtest.Eventually(t, "edit after re-authorisation", func() bool {
			return s.Count(t, "SELECT count(*) FROM history WHERE portal_id = $1 AND entity_id = 9 AND field = 'OPPORTUNITY'", portalID) == 1
		})
	})
}
