package server_test

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

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
	raw, err := db.LoadMeta(context.Background(), s.DB.Bun, portalID, db.MetaFields(crm.Deal))
	if err != nil {
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

// settingsEnv is a stack with Trail installed on its portals and the first
// portal's administrator on the settings page.
type settingsEnv struct {
	s        *stack
	p, other *b24test.Portal // other is nil with one portal
	id       int64
	admin    *trailtest.Frame
	page     string
}

func newSettings(t *testing.T, portals int) *settingsEnv {
	t.Helper()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: portals, Deals: 40, Leads: 5, Contacts: 6, Companies: 3, Quotes: 3, SmartInvoices: 2, Seed: 11}})
	e := &settingsEnv{s: s, p: s.Emu.Portals()[0]}
	for _, p := range s.Emu.Portals() {
		if _, err := p.Install(); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range s.Emu.Portals() {
		s.Installed(t, p)
	}
	if portals > 1 {
		e.other = s.Emu.Portals()[1]
	}
	e.id = s.PortalID(t, e.p)
	admin, status, page := s.OpenApp(t, e.p, e.p.AdminID())
	if status != http.StatusOK {
		t.Fatalf("admin entry = %d: %.300s", status, page)
	}
	e.admin, e.page = admin, page
	return e
}

// settings are the portal's stored choices, without the time of the last
// save.
func (e *settingsEnv) settings(t *testing.T) db.Settings {
	t.Helper()
	st := *e.s.Settings(t, e.id)
	st.UpdatedAt = time.Time{}
	return st
}

// allTypes names every CRM type, as the settings form sends them.
// allTypes are the types of every portal: the four, estimates and invoices.
var allTypes = func() []string {
	var out []string
	for _, t := range append(slices.Clone(crm.Types), crm.Quote, crm.SmartInvoice) {
		out = append(out, t.String())
	}
	return out
}()

func TestSettingsAdminSeesEverySection(t *testing.T) {
	t.Parallel()
	e := newSettings(t, 1)
	for _, want := range []string{
		`id="tracking-title"`, `name="entity" value="deal"`, `name="tab" value="company"`, `name="retention_days"`,
		`id="fields-title"`, `hx-post="/settings/fields/deal"`, `name="field" value="TITLE"`,
		`id="sync-progress"`, `hx-post="/settings/resync"`,
		`id="health-title"`, "Active", `hx-get="/settings/health/portal"`, "Rate limits, last hour",
		`id="chart-heading"`, `<svg class="changes-chart"`, `role="img"`, `<title id="chart-title">`,
		`id="feed-title"`, `id="calls-title"`, `id="calls-log"`,
	} {
		if !strings.Contains(e.page, want) {
			t.Errorf("settings page lacks %s", want)
		}
	}
	if strings.Contains(e.page, `id="reauth"`) {
		t.Error("an active installation shows the re-authorisation banner")
	}
	if n := strings.Count(e.page, `<rect class="bar"`); n != 30 {
		t.Errorf("chart has %d bars, want 30", n)
	}
	health := e.admin.Must(200, "GET", "/settings/health/portal", nil)
	if !regexp.MustCompile(`(\d+) of (\d+) bound`).MatchString(health) || !strings.Contains(health, "events waiting") {
		t.Errorf("portal health = %s", health)
	}
	if m := regexp.MustCompile(`(\d+) of (\d+) bound`).FindStringSubmatch(health); m != nil && m[1] != m[2] {
		t.Errorf("event bindings: %s", m[0])
	}
	// The log is written in batches, a second apart.
	var calls string
	trailtest.Eventually(t, "baseline calls in the log", func() bool {
		calls = e.admin.Must(200, "GET", "/settings/calls", url.Values{"method": {"crm.deal"}, "outcome": {"ok"}, "days": {"1"}})
		return strings.Contains(calls, "crm.deal.list")
	})
	if strings.Contains(calls, "event.get") || strings.Contains(calls, "crm.lead.") {
		t.Error("the method filter let other methods through")
	}
}

func TestSettingsRefuseNonAdmin(t *testing.T) {
	t.Parallel()
	e := newSettings(t, 1)
	s, p := e.s, e.p
	before := e.settings(t)
	// The app's entry opens the deleted records' page for them, never the
	// settings.
	own, status, body := s.OpenApp(t, p, p.UserIDs()[1])
	if status != http.StatusOK || own.Session == "" || strings.Contains(body, "/settings/") {
		t.Fatalf("non-admin entry = %d: %.300s", status, body)
	}
	// The non-admin's session comes from a record's tab.
	user, status, _ := s.OpenTab(t, p, p.UserIDs()[1], "CRM_DEAL_DETAIL_TAB", "1")
	if status != http.StatusOK || user.Session == "" {
		t.Fatalf("no session for the non-admin from a tab (%d): the routes below would be refused for that reason only", status)
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
		if status, body := user.Do(r.method, r.path, r.form); status != http.StatusForbidden {
			t.Errorf("non-admin %s %s = %d, want 403: %.200s", r.method, r.path, status, body)
		}
	}
	if after := e.settings(t); !reflect.DeepEqual(after, before) {
		t.Errorf("a non-admin changed the settings: %+v -> %+v", before, after)
	}
	for _, j := range trailtest.Jobs[jobs.SyncArgs](t, s.Stack) {
		if j.Args.Full {
			t.Errorf("a non-admin started a resync: %+v", j.Args)
		}
	}
}

func TestSettingsRefuseInvalidForms(t *testing.T) {
	t.Parallel()
	e := newSettings(t, 1)
	before := e.settings(t)
	for _, r := range []struct {
		path, want string
		form       url.Values
	}{
		{"/settings/tracking", "Unknown CRM type", url.Values{"entity": {"deal", "invoice"}, "retention_days": {"30"}}},
		{"/settings/tracking", "Unknown CRM type", url.Values{"entity": {"deal"}, "tab": {"dynamic_1100"}, "retention_days": {"30"}}},
		{"/settings/tracking", "between 1 and 36500", url.Values{"entity": {"deal"}, "retention_days": {"0"}}},
		{"/settings/tracking", "between 1 and 36500", url.Values{"entity": {"deal"}, "retention_days": {"36501"}}},
		{"/settings/tracking", "between 1 and 36500", url.Values{"entity": {"deal"}, "retention_days": {"a year"}}},
		{"/settings/fields/deal", `Unknown field &#34;NO_SUCH_FIELD&#34;`, url.Values{"field": {"TITLE", "NO_SUCH_FIELD"}}},
		{"/settings/fields/invoice", "Unknown CRM type", url.Values{"field": {"TITLE"}}},
	} {
		body := e.admin.Must(http.StatusBadRequest, "POST", r.path, r.form)
		if !strings.Contains(body, r.want) {
			t.Errorf("POST %s %v answered %q, want it to say %q", r.path, r.form, body, r.want)
		}
	}
	for _, q := range []url.Values{{"method": {"crm.%"}}, {"outcome": {"ok' OR 1=1"}}, {"days": {"90"}}, {"page": {"-1"}}} {
		if body := e.admin.Must(http.StatusBadRequest, "GET", "/settings/calls", q); !strings.Contains(body, `id="calls-log"`) || !strings.Contains(body, `role="alert"`) {
			t.Errorf("refused filter %v answered %s; the log's element must stay for the next filter", q, body)
		}
	}
	if after := e.settings(t); !reflect.DeepEqual(after, before) {
		t.Errorf("an invalid form changed the settings: %+v -> %+v", before, after)
	}
}

func TestSettingsTabsOffUnbindOnBind(t *testing.T) {
	t.Parallel()
	e := newSettings(t, 2)
	body := e.admin.Must(200, "POST", "/settings/tracking", url.Values{"entity": allTypes, "tab": {"deal", "lead"}, "retention_days": {"365"}})
	if !strings.Contains(body, "Saved. New changes") {
		t.Errorf("save answered %q", body)
	}
	tabs := boundTabs(e.p)
	if !tabs["CRM_DEAL_DETAIL_TAB"] || !tabs["CRM_LEAD_DETAIL_TAB"] || tabs["CRM_CONTACT_DETAIL_TAB"] || tabs["CRM_COMPANY_DETAIL_TAB"] {
		t.Errorf("after turning contact and company tabs off, bound tabs = %v", tabs)
	}
	if st := e.settings(t); st.RetentionDays != 365 || !slices.Equal(st.Tabs, []crm.Type{crm.Deal, crm.Lead}) {
		t.Errorf("stored settings = %+v", st)
	}
	e.admin.Must(200, "POST", "/settings/tracking", url.Values{"entity": allTypes, "tab": allTypes, "retention_days": {"365"}})
	if tabs := boundTabs(e.p); len(tabs) != 6 {
		t.Errorf("after turning every tab on, bound tabs = %v", tabs)
	}
	if tabs := boundTabs(e.other); len(tabs) != 6 {
		t.Errorf("the other portal's tabs changed: %v", tabs)
	}
}

func TestSettingsTypeOffRecordsNothingOnIsSetUp(t *testing.T) {
	t.Parallel()
	e := newSettings(t, 1)
	s, p := e.s, e.p
	body := e.admin.Must(200, "POST", "/settings/tracking", url.Values{"entity": {"deal", "lead", "contact"}, "tab": allTypes, "retention_days": {"365"}})
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
	trailtest.Eventually(t, "the deal's edit recorded", func() bool { return len(s.History(t, e.id, crm.Deal, 1)) > 0 })
	trailtest.Eventually(t, "inbox empty", func() bool { return s.InboxDepth(t, e.id) == 0 })
	for _, r := range s.HistoryOf(t, e.id) {
		if r.Entity == crm.Company {
			t.Errorf("history of an untracked type: %+v", r)
		}
	}
	setups := func() int {
		n := 0
		for _, j := range trailtest.Jobs[jobs.SetupArgs](t, s.Stack, rivertype.JobStateCompleted) {
			if j.Args.PortalID == e.id {
				n++
			}
		}
		return n
	}
	before := setups()
	body = e.admin.Must(200, "POST", "/settings/tracking", url.Values{"entity": allTypes, "tab": allTypes, "retention_days": {"365"}})
	if !strings.Contains(body, "connecting the newly tracked types") || !strings.Contains(body, `hx-swap-oob="true"`) {
		t.Errorf("turning companies on answered %q", body)
	}
	trailtest.Eventually(t, "setup after turning companies on", func() bool { return setups() == before+1 })
}

func TestSettingsIgnoredFieldStopsHistory(t *testing.T) {
	t.Parallel()
	e := newSettings(t, 1)
	s, p := e.s, e.p
	var keep []string
	for _, f := range s.dealFields(t, e.id) {
		if f != "TITLE" {
			keep = append(keep, f)
		}
	}
	body := e.admin.Must(200, "POST", "/settings/fields/deal", url.Values{"field": keep})
	if !strings.Contains(body, "Saved") {
		t.Errorf("save answered %q", body)
	}
	const dealID = 7
	if err := p.UpdateRecord("deal", dealID, p.AdminID(), map[string]any{"TITLE": "Not recorded", "OPPORTUNITY": "777"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "history of the edit", func() bool {
		return trailtest.ByField(s.History(t, e.id, crm.Deal, dealID), "OPPORTUNITY") == 1
	})
	trailtest.Eventually(t, "inbox empty", func() bool { return s.InboxDepth(t, e.id) == 0 })
	if n := trailtest.ByField(s.HistoryOf(t, e.id), "TITLE"); n != 0 {
		t.Errorf("%d TITLE rows recorded after TITLE was ignored", n)
	}
	// Tracked again: recorded again.
	e.admin.Must(200, "POST", "/settings/fields/deal", url.Values{"field": append(keep, "TITLE")})
	if err := p.UpdateRecord("deal", dealID, p.AdminID(), map[string]any{"TITLE": "Recorded"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "TITLE recorded again", func() bool {
		return trailtest.ByField(s.HistoryOf(t, e.id), "TITLE") == 1
	})
	// The feed shows the edit, linked to the record.
	_, _, page := s.OpenApp(t, p, p.AdminID())
	if !strings.Contains(page, `data-entity="deal" data-id="7"`) || !strings.Contains(page, "/crm/deal/details/7/") {
		t.Errorf("the feed lacks the edit of deal 7")
	}
}

func TestSettingsResyncReachesTotal(t *testing.T) {
	t.Parallel()
	e := newSettings(t, 1)
	s := e.s
	// As an admin finds it: the baselines of the install are over. (A type
	// whose baseline is being copied right now keeps that run.)
	trailtest.Eventually(t, "earlier baselines over", func() bool {
		return len(trailtest.Jobs[jobs.SyncArgs](t, s.Stack, trailtest.Unfinished...)) == 0 &&
			len(trailtest.Jobs[jobs.SetupArgs](t, s.Stack, trailtest.Unfinished...)) == 0
	})
	asked := s.LatestSyncStart(t, e.id)
	// The answer polls while anything is left to copy; the emulator's
	// portal is small, so the copy may be over already.
	body := e.admin.Must(200, "POST", "/settings/resync", nil)
	if strings.Contains(body, `class="sync-row pending"`) && !strings.Contains(body, `hx-trigger="every 1s"`) {
		t.Fatalf("resync answer shows work waiting but does not poll: %.400s", body)
	}
	trailtest.Eventually(t, "progress bar stops polling", func() bool {
		body = e.admin.Must(200, "GET", "/settings/sync", nil)
		return !strings.Contains(body, "hx-trigger")
	})
	rows := syncRow.FindAllStringSubmatch(body, -1)
	if len(rows) != 6 {
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
	if n := s.Copied(t, e.id, asked); n != 6 {
		t.Errorf("%d types copied again from the first record, want 6", n)
	}
}

func TestSettingsIsolatedBetweenPortals(t *testing.T) {
	t.Parallel()
	e := newSettings(t, 2)
	s, p, other := e.s, e.p, e.other
	otherID := s.PortalID(t, other)
	if err := other.UpdateRecord("deal", 3, other.AdminID(), map[string]any{"TITLE": "Other portal secret"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "other portal's history", func() bool { return len(s.HistoryOf(t, otherID)) > 0 })
	if _, err := s.DB.Pool.Exec(context.Background(),
		"INSERT INTO api_calls (portal_id, at, method, duration_ms) VALUES ($1, now(), 'crm.isolation.check', 1)", otherID); err != nil {
		t.Fatal(err)
	}
	_, _, otherPage := s.OpenApp(t, other, other.AdminID())
	if !strings.Contains(otherPage, "crm.isolation.check") || !strings.Contains(otherPage, `data-entity="deal" data-id="3"`) {
		t.Fatal("the other portal's own admin does not see its call and change (the checks below would prove nothing)")
	}
	_, _, page := s.OpenApp(t, p, p.AdminID())
	if strings.Contains(page, "crm.isolation.check") || strings.Contains(page, `data-entity="deal" data-id="3"`) {
		t.Error("portal A's settings page shows portal B's data")
	}
	calls := e.admin.Must(200, "GET", "/settings/calls", url.Values{"method": {"crm.isolation"}})
	if strings.Contains(calls, "crm.isolation.check") {
		t.Error("portal A's call log lists portal B's call")
	}
	// A's session sent to B's entry does not become B's session.
	if st, _ := e.admin.Do("POST", "/bitrix/app?LANG=en", url.Values{"member_id": {other.MemberID()}, "AUTH_ID": {"stolen"}, "PLACEMENT": {"DEFAULT"}}); st != http.StatusUnauthorized {
		t.Errorf("entry with a foreign token = %d, want 401", st)
	}
}

func TestSettingsReauthorisationRestores(t *testing.T) {
	t.Parallel()
	e := newSettings(t, 2)
	s, p, other := e.s, e.p, e.other
	p.RevokeTokens()
	s.LoseAccess(t, e.id)
	admin, status, page := s.OpenApp(t, p, p.AdminID())
	if status != 200 || !strings.Contains(page, `data-reauthorize="/settings/reauthorize"`) {
		t.Fatalf("page of a portal needing re-authorisation = %d, banner missing", status)
	}
	if body := admin.Must(http.StatusBadRequest, "POST", "/settings/resync", nil); !strings.Contains(body, `id="sync-progress"`) || !strings.Contains(body, "Restore Trail") {
		t.Errorf("resync without access answered %s", body)
	}
	foreign, err := other.IssueTokens(other.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	admin.Must(http.StatusForbidden, "POST", "/settings/reauthorize", url.Values{"REFRESH_ID": {foreign.RefreshToken}})
	admin.Must(http.StatusBadRequest, "POST", "/settings/reauthorize", url.Values{"REFRESH_ID": {"not-a-token"}})
	if st := s.Installation(t, p).Status; st != db.StatusReauth {
		t.Fatalf("a refused re-authorisation changed the installation to %s", st)
	}
	own, err := p.IssueTokens(p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	body := admin.Must(200, "POST", "/settings/reauthorize", url.Values{"REFRESH_ID": {own.RefreshToken}})
	if !strings.Contains(body, "Access restored") {
		t.Errorf("re-authorisation answered %q", body)
	}
	if st := s.Installation(t, p).Status; st != db.StatusActive {
		t.Fatalf("installation %s after re-authorisation, want active", st)
	}
	if health := admin.Must(200, "GET", "/settings/health", nil); !strings.Contains(health, `class="pill ok"`) {
		t.Errorf("health after re-authorisation: %.300s", health)
	}
	// The stored grant works: an edit is recorded again.
	if err := p.UpdateRecord("deal", 9, p.AdminID(), map[string]any{"OPPORTUNITY": "999"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "edit after re-authorisation", func() bool {
		return trailtest.ByField(s.History(t, e.id, crm.Deal, 9), "OPPORTUNITY") == 1
	})
}
