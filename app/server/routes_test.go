package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/devstack"
	"github.com/trailhq/trail/app/lifecycle"
	"github.com/trailhq/trail/app/metrics"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/app/web"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
	"github.com/trailhq/trail/views"
)

// appRoutes lists every route of the app with every optional part turned
// on, as "METHOD /path" (middleware mounts left out). The tests below
// iterate it, so a new route is covered, or fails them, on its own.
func appRoutes(t *testing.T) []string {
	t.Helper()
	d := dbtest.New(t)
	base, _ := url.Parse("http://trail.test")
	cfg, _, err := devstack.LocalConfig(base, "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Env, cfg.OperatorPassword = config.Production, "x"
	app := web.New(web.Deps{
		Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: d, Metrics: metrics.New(),
		Sessions: web.NewSessions(d), Lifecycle: &lifecycle.Service{}, RiverUI: http.NotFoundHandler(),
	})
	seen := map[string]bool{}
	var out []string
	for _, r := range app.GetRoutes(true) {
		k := r.Method + " " + r.Path
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// tenants is two portals with Trail installed, each with a change only it
// has, and sessions of portal A's administrator.
type tenants struct {
	s            *stack
	a, b         *b24test.Portal
	tabA, appA   string // session tokens: A's deal 3 tab, A's settings
	aOrigin      string
	secretsOfB   []string // text that must never reach portal A
	aMarker      string
	bInstallRows stateOfB
	bulkB        int64 // a bulk revert of B's, once made
}

func newTenants(t *testing.T) *tenants {
	t.Helper()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 2, Deals: 6, Leads: 2, Contacts: 2, Companies: 2, Seed: 21}})
	a, b := s.Emu.Portals()[0], s.Emu.Portals()[1]
	for _, p := range []*b24test.Portal{a, b} {
		if _, err := p.Install(); err != nil {
			t.Fatal(err)
		}
	}
	aID, bID := s.Installed(t, a), s.Installed(t, b)
	tn := &tenants{s: s, a: a, b: b, aOrigin: "http://" + a.Domain(), aMarker: "Seen only by portal A"}
	const bMarker = "Seen only by portal B"
	if err := a.UpdateRecord("deal", 3, 2, map[string]any{"TITLE": tn.aMarker}); err != nil {
		t.Fatal(err)
	}
	if err := b.UpdateRecord("deal", 3, 2, map[string]any{"TITLE": bMarker}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "both changes", func() bool {
		return len(s.History(t, aID, crm.Deal, 3))+len(s.History(t, bID, crm.Deal, 3)) == 2
	})
	tn.secretsOfB = []string{bMarker, b.MemberID(), b.Domain()}
	tab, status, _ := s.OpenTab(t, a, a.AdminID(), "CRM_DEAL_DETAIL_TAB", "3")
	tn.tabA = sessionOf(t, tab, status)
	app, status, _ := s.OpenApp(t, a, a.AdminID())
	tn.appA = sessionOf(t, app, status)
	tn.bInstallRows = tn.installationOfB(t)
	return tn
}

// sessionOf is the session of a page that must have opened one.
func sessionOf(t *testing.T, f *trailtest.Frame, status int) string {
	t.Helper()
	if status != 200 || f.Session == "" {
		t.Fatalf("frame POST = %d, no session in the page", status)
	}
	return f.Session
}

// stateOfB is B's installation and settings, to see that nothing A does
// changes them.
type stateOfB struct {
	Installation db.Installation
	Settings     db.Settings
}

func (tn *tenants) installationOfB(t *testing.T) stateOfB {
	t.Helper()
	in := tn.s.Installation(t, tn.b)
	return stateOfB{*in, *tn.s.Settings(t, in.ID)}
}

// exchange is one request of a route and what came back.
type exchange struct {
	name string
	resp *http.Response
	body string
	// portalPage: the response is a page of portal A, which A may frame.
	portalPage bool
}

func (tn *tenants) do(t *testing.T, name, method, path, token string, form url.Values) exchange {
	t.Helper()
	h := http.Header{}
	if token != "" {
		h.Set(web.SessionHeader, token)
	}
	resp, body := tn.s.Do(t, method, path, form, h)
	return exchange{name: name, resp: resp, body: body}
}

// framePOST posts a frame form with A's user token, for member.
func (tn *tenants) framePOST(t *testing.T, path, member, placement, options string) exchange {
	t.Helper()
	// A's people see A's application token in every frame of A.
	form := trailtest.FrameForm(t, tn.a, tn.a.AdminID(), placement, options)
	form.Set("member_id", member)
	form.Del("REFRESH_ID")
	r, body := tn.s.PostFrame(t, path, tn.a.Domain(), form)
	return exchange{name: "POST " + path + " member " + member, resp: r, body: body}
}

// eventForm is an event delivery of portal member signed with A's tokens.
func (tn *tenants) eventForm(t *testing.T, name, member string) url.Values {
	t.Helper()
	tok, err := tn.a.IssueTokens(tn.a.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{
		"event": {name}, "data[FIELDS][ID]": {"3"}, "data[VERSION]": {"1"}, "ts": {"1700000000"},
		"auth[access_token]": {tok.AccessToken}, "auth[refresh_token]": {tok.RefreshToken}, "auth[expires_in]": {"3600"},
		"auth[domain]": {tn.b.Domain()}, "auth[member_id]": {member}, "auth[application_token]": {tn.a.ApplicationToken()},
		"auth[client_endpoint]": {tn.a.ClientEndpoint()}, "auth[server_endpoint]": {"http://oauth.localhost/rest/"},
	}
}

// exercise runs the requests that probe one route: what portal A's people
// (or anybody) can send to reach portal B. ok is false for a route the test
// does not know, so a new route must be taught here.
func (tn *tenants) exercise(t *testing.T, route string) (out []exchange, ok bool) {
	method, path, _ := strings.Cut(route, " ")
	fill := strings.NewReplacer(":entity", "deal", ":id", "3", "*", strings.TrimPrefix(views.Asset("trail.css"), "/static/"))
	concrete := fill.Replace(path)
	get := func(token string) exchange { return tn.do(t, route, method, concrete, token, nil) }
	switch {
	case route == "GET /" || route == "HEAD /" || route == "GET /healthz" || route == "HEAD /healthz" ||
		route == "GET /readyz" || route == "HEAD /readyz" ||
		route == "GET /static/*" || route == "HEAD /static/*":
		out = append(out, get(""), get(tn.tabA))
	case path == "/tab/:entity/:id/entries" || path == "/tab/:entity/:id/export.csv":
		// A's session asks for "deal 3": A's deal 3, never B's.
		x := get(tn.tabA)
		x.portalPage = true
		if method == "GET" && (x.resp.StatusCode != 200 || !strings.Contains(x.body, tn.aMarker)) {
			t.Errorf("%s with A's session = %d, lacks A's own change", route, x.resp.StatusCode)
		}
		out = append(out, x, get(""), get(tn.appA))
	case path == "/tab/:entity/:id/asof" || path == "/tab/:entity/:id/compare":
		// A's session asks for its deal 3 as of now: A's deal 3, never B's.
		now := url.QueryEscape(time.Now().UTC().Format(time.RFC3339Nano))
		q := "?at=" + now
		if strings.HasSuffix(path, "/compare") {
			q = "?from=" + now + "&to=" + now
		}
		x := tn.do(t, route, method, concrete+q, tn.tabA, nil)
		x.portalPage = true
		if method == "GET" && (x.resp.StatusCode != 200 || !strings.Contains(x.body, tn.aMarker)) {
			t.Errorf("%s with A's session = %d, lacks A's own title", route, x.resp.StatusCode)
		}
		out = append(out, x, tn.do(t, route, method, concrete+q, "", nil), tn.do(t, route, method, concrete+q, tn.appA, nil))
	case path == "/tab/:entity/:id/file/:field/:file":
		// A's session for its deal 3 asks for a file of that deal: it can
		// reach only A's portal, with A's grant (the other portal's
		// session: TestFileReplacedAndOpened).
		file := strings.NewReplacer(":field", "UF_CRM_1700000006", ":file", "123").Replace(concrete)
		x := tn.do(t, route, method, file, tn.tabA, nil)
		if x.resp.StatusCode >= 500 {
			t.Errorf("%s with A's session = %d", route, x.resp.StatusCode)
		}
		out = append(out, x, tn.do(t, route, method, file, "", nil), tn.do(t, route, method, file, tn.appA, nil))
	case path == "/tab/:entity/:id/revert/:change":
		// A's session for its deal 3 names B's change of B's deal 3, then
		// A's own: only A's change is found, and only with a session.
		changeOf := func(p *b24test.Portal) string {
			return strconv.FormatInt(tn.s.HistoryOf(t, tn.s.PortalID(t, p))[0].ChangeID, 10)
		}
		form := url.Values{"key": {"not-a-preview-key"}, "field": {"TITLE"}}
		if method != "POST" {
			form = nil
		}
		ofB := strings.Replace(concrete, ":change", changeOf(tn.b), 1)
		ofA := strings.Replace(concrete, ":change", changeOf(tn.a), 1)
		x := tn.do(t, route+" B's change", method, ofB, tn.tabA, form)
		if x.resp.StatusCode != 404 {
			t.Errorf("%s with A's session on B's change = %d, want 404", route, x.resp.StatusCode)
		}
		own := tn.do(t, route+" A's change", method, ofA, tn.tabA, form)
		own.portalPage = method != "POST"
		if want := map[string]int{"GET": 200, "HEAD": 200, "POST": 404}[method]; own.resp.StatusCode != want {
			t.Errorf("%s with A's session on A's change = %d, want %d", route, own.resp.StatusCode, want)
		}
		out = append(out, x, own, tn.do(t, route, method, ofA, "", form), tn.do(t, route, method, ofA, tn.appA, form))
	case path == "/tab/:entity/:id/restore":
		// A's session puts its deal 3 back as of now: a preview of A's deal
		// (nothing differs), and a submit finds no preview of another key.
		at := "?at=" + url.QueryEscape(time.Now().UTC().Format(time.RFC3339Nano))
		form := url.Values{"key": {"not-a-preview-key"}, "field": {"TITLE"}}
		if method != "POST" {
			form = nil
		}
		own := tn.do(t, route, method, concrete+at, tn.tabA, form)
		own.portalPage = method != "POST"
		if want := map[string]int{"GET": 200, "HEAD": 200, "POST": 404}[method]; own.resp.StatusCode != want {
			t.Errorf("%s with A's session = %d, want %d", route, own.resp.StatusCode, want)
		}
		out = append(out, own, tn.do(t, route, method, concrete+at, "", form), tn.do(t, route, method, concrete+at, tn.appA, form))
	case route == "POST /bitrix/tab":
		own := tn.framePOST(t, path, tn.a.MemberID(), "CRM_DEAL_DETAIL_TAB", `{"ID":"3"}`)
		own.portalPage = true
		out = append(out, own, tn.framePOST(t, path, tn.b.MemberID(), "CRM_DEAL_DETAIL_TAB", `{"ID":"3"}`))
	case route == "POST /bitrix/app":
		own := tn.framePOST(t, path, tn.a.MemberID(), "DEFAULT", `{}`)
		own.portalPage = true
		out = append(out, own, tn.framePOST(t, path, tn.b.MemberID(), "DEFAULT", `{}`))
	case route == "POST /bitrix/session":
		tok, _ := tn.a.IssueTokens(tn.a.AdminID())
		out = append(out, tn.do(t, route+" for B", method, path, tn.tabA,
			url.Values{"AUTH_ID": {tok.AccessToken}, "member_id": {tn.b.MemberID()}, "context": {"deal:3"}}))
	case route == "POST /bitrix/install":
		// Both flavours: the install event, and the installer page the
		// portal frames.
		out = append(out, tn.do(t, route+" as B", method, path, "", tn.eventForm(t, "ONAPPINSTALL", tn.b.MemberID())),
			tn.framePOST(t, path, tn.b.MemberID(), "DEFAULT", `{}`))
	case path == "/bitrix/login":
		// Starting a sign-in names a portal (anybody may start one for any
		// portal: it goes to that portal's own sign-in). Finishing one needs
		// a state Trail sealed for that portal: a made-up one for B fails.
		out = append(out, tn.do(t, route+" start", method, path+"?domain="+url.QueryEscape(tn.a.Domain()), "", nil),
			tn.do(t, route+" callback for B", method, path+"?code=x&state=forged&member_id="+tn.b.MemberID(), tn.appA, nil))
	case route == "POST /bitrix/uninstall":
		out = append(out, tn.do(t, route+" of B", method, path, "", tn.eventForm(t, "ONAPPUNINSTALL", tn.b.MemberID())))
	case route == "POST /bitrix/events":
		out = append(out, tn.do(t, route+" for B", method, path, "", tn.eventForm(t, "ONCRMDEALUPDATE", tn.b.MemberID())))
	case strings.HasPrefix(path, "/settings/bulk/:id"):
		// A's administrator names B's bulk revert: not found, for the page
		// and the report alike.
		ofB := strings.Replace(path, ":id", strconv.FormatInt(tn.bulkOfB(t), 10), 1)
		x := tn.do(t, route+" B's bulk revert", method, ofB, tn.appA, nil)
		if x.resp.StatusCode != 404 {
			t.Errorf("%s with A's session on B's bulk revert = %d, want 404", route, x.resp.StatusCode)
		}
		if n := tn.s.Count(t, "SELECT count(*) FROM bulk_reverts WHERE id = $1 AND state = 'running'", tn.bulkB); n != 1 {
			t.Errorf("%s with A's session changed B's bulk revert", route)
		}
		out = append(out, x, tn.do(t, route+" without session", method, ofB, "", nil))
	case strings.HasPrefix(path, "/deleted"):
		// Everybody's deleted records are those of the session's portal, of
		// types the session's own token may read: A's session lists A's,
		// and its deal 3 (which A still has) is no deleted record.
		form := url.Values{"key": {"not-a-preview-key"}, "member_id": {tn.b.MemberID()}}
		if method == "GET" || method == "HEAD" {
			form = nil
		}
		x := tn.do(t, route, method, concrete, tn.tabA, form)
		want := 404
		if path == "/deleted" {
			want = 200
		}
		if x.resp.StatusCode != want {
			t.Errorf("%s with A's session = %d, want %d", route, x.resp.StatusCode, want)
		}
		x.portalPage = method == "GET" && x.resp.StatusCode == 200
		out = append(out, x, tn.do(t, route+" without session", method, concrete, "", form))
	case strings.HasPrefix(path, "/settings") || path == "/bitrix/install/status":
		// Settings act on the session's portal: A's administrator, with
		// B's member_id in the form for good measure.
		form := url.Values{"member_id": {tn.b.MemberID()}, "portal_id": {"2"}}
		if method == "GET" || method == "HEAD" {
			form = nil
		}
		x := tn.do(t, route, method, concrete, tn.appA, form)
		x.portalPage = method == "GET" && x.resp.StatusCode == 200
		out = append(out, x, tn.do(t, route+" without session", method, concrete, "", form))
	default:
		return nil, false
	}
	return out, true
}

// TestEveryRoute exercises every route of the app as portal A's people
// (and anybody) could, and checks each answer: nothing of portal B comes
// back or changes (tenant isolation), and the headers are those of a page
// Bitrix24 frames (headers_test.go).
func TestEveryRoute(t *testing.T) {
	t.Parallel()
	tn := newTenants(t)
	var all []exchange
	for _, route := range appRoutes(t) {
		xs, ok := tn.exercise(t, route)
		if !ok {
			t.Errorf("%s: this test does not know how to exercise the route; teach exercise() how a portal could abuse it", route)
			continue
		}
		for _, x := range xs {
			t.Logf("%s → %d", x.name, x.resp.StatusCode)
		}
		all = append(all, xs...)
	}
	t.Run("isolation", func(t *testing.T) {
		for _, x := range all {
			for _, secret := range tn.secretsOfB {
				if strings.Contains(x.body, secret) || strings.Contains(x.resp.Header.Get("Content-Disposition"), secret) {
					t.Errorf("%s: the answer (%d) holds portal B's %q", x.name, x.resp.StatusCode, secret)
				}
			}
			if strings.Contains(x.name, "member "+tn.b.MemberID()) && x.resp.StatusCode < 400 {
				t.Errorf("%s: A's token opened a page of B (%d)", x.name, x.resp.StatusCode)
			}
		}
		if got := tn.installationOfB(t); !reflect.DeepEqual(got, tn.bInstallRows) {
			t.Errorf("portal B's installation or settings changed:\n%+v\n%+v", tn.bInstallRows, got)
		}
		if n := len(tn.s.HistoryOf(t, tn.s.PortalID(t, tn.b))); n != 1 {
			t.Errorf("portal B has %d history rows, want its 1", n)
		}
	})
	t.Run("headers", func(t *testing.T) {
		// Error pages too: an unknown page; and an employee's own page.
		all = append(all, tn.do(t, "GET unknown page", "GET", "/no-such-page", "", nil))
		f, _, body := tn.s.OpenApp(t, tn.a, 2)
		employee := exchange{name: "POST /bitrix/app as an employee", resp: f.Response, body: body, portalPage: true}
		if employee.resp.StatusCode != 200 || strings.Contains(body, "/settings/") {
			t.Errorf("%s = %d, want the deleted records' page, not the settings", employee.name, employee.resp.StatusCode)
		}
		all = append(all, employee)
		for _, x := range all {
			checkHeaders(t, x, tn.aOrigin)
		}
	})
}

// bulkOfB is a bulk revert of portal B (of its one change), made once.
func (tn *tenants) bulkOfB(t *testing.T) int64 {
	t.Helper()
	if tn.bulkB != 0 {
		return tn.bulkB
	}
	bID := tn.s.PortalID(t, tn.b)
	now := time.Now()
	bk := &db.BulkRevert{PortalID: bID, UserID: int64(tn.b.AdminID()), AuthorID: 2, From: now.Add(-time.Hour), To: now.Add(time.Minute)}
	f := db.BulkFilter{AuthorID: 2, From: bk.From, To: bk.To, Types: []crm.Type{crm.Deal}}
	if err := db.AddBulkRevert(context.Background(), tn.s.DB.Bun, bk, f); err != nil || bk.Total != 1 {
		t.Fatalf("B's bulk revert: %v, %d records", err, bk.Total)
	}
	tn.bulkB = bk.ID
	return bk.ID
}
