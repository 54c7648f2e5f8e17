package server_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/app/web"
	"github.com/trailhq/trail/db"
)

// What outsiders can send to the entry points anybody reaches: floods of
// forged frame POSTs, malformed fields, probes for which portals use Trail,
// renewals without the page's ticket; and an administrator demoted on the
// portal.

// clientHeader carries the client address in these tests, as Fly's proxy
// does in production.
const clientHeader = "X-Test-Client"

// entryFailures is how many refused entry requests one address may make per
// minute (app/web).
const entryFailures = 20

func hardenedStack(t *testing.T, so trailtest.Options) (*stack, *b24test.Portal) {
	t.Helper()
	adjust := so.Config
	so.Config = func(c *config.Config) {
		c.ClientIPHeader = clientHeader
		if adjust != nil {
			adjust(c)
		}
	}
	if so.App == nil {
		so.App = func(a *b24test.App, base string) { a.RedirectURI = base + "/bitrix/login" }
	}
	s := newStack(t, so)
	p := s.Emu.Portals()[0]
	s.Install(t, p)
	return s, p
}

// send makes one request from a client address, with a session token when
// one is given; GET requests carry form as the query. It returns the answer
// with its body read.
func (s *stack) send(t *testing.T, method, path, addr, token string, form url.Values) (*http.Response, string) {
	t.Helper()
	h := http.Header{}
	if addr != "" {
		h.Set(clientHeader, addr)
	}
	if token != "" {
		h.Set(web.SessionHeader, token)
		h.Set("HX-Request", "true")
	}
	return s.Do(t, method, path, form, h)
}

func randomHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// tabForm is the frame POST of a deal's tab.
func tabForm(member, appToken, authID string) url.Values {
	return url.Values{
		"AUTH_ID": {authID}, "AUTH_EXPIRES": {"3600"}, "member_id": {member}, "APPLICATION_TOKEN": {appToken},
		"PLACEMENT": {"CRM_DEAL_DETAIL_TAB"}, "PLACEMENT_OPTIONS": {`{"ID":"1"}`}, "status": {"L"},
	}
}

// flood sends n frame POSTs from one address, width at a time, and counts
// the answers by status.
func (s *stack) flood(t *testing.T, addr string, n, width int, form func() url.Values) map[int]int {
	t.Helper()
	forms := make(chan url.Values, n)
	for range n {
		forms <- form()
	}
	close(forms)
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range width {
		wg.Go(func() {
			for f := range forms {
				resp, _ := s.send(t, "POST", "/bitrix/tab?DOMAIN=evil.example&LANG=en", addr, "", f)
				mu.Lock()
				statuses[resp.StatusCode]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return statuses
}

// A flood of forged frame POSTs from outsiders who know the member_id (and
// even the application token) costs the portal a bounded number of REST
// calls, leaves no session behind, and the administrator's tab still opens.
func TestForgedFrameFlood(t *testing.T) {
	t.Parallel()
	s, p := hardenedStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 31}})
	refused := func() int64 { return p.Stats().Unauthenticated }
	sessions := func() int { return s.Sessions(t) }
	sessionsBefore := sessions()

	// Without the application token nothing reaches the portal.
	before := refused()
	st := s.flood(t, "203.0.113.7", 60, 8, func() url.Values { return tabForm(p.MemberID(), randomHex(t), randomHex(t)) })
	if st[401]+st[429] != 60 || st[429] < 60-entryFailures {
		t.Errorf("forged application tokens answered %v, want 401s and then 429s", st)
	}
	if n := refused() - before; n != 0 {
		t.Errorf("forged application tokens cost %d portal calls, want 0", n)
	}

	// Event deliveries are not throttled per address: Bitrix24 sends bursts
	// from a few addresses. The address turned away above still delivers.
	for i := range entryFailures + 10 {
		resp, _ := s.send(t, "POST", "/bitrix/events", "203.0.113.7", "", crmEvent(p, p.MemberID(), randomHex(t), i+1))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("forged event %d from a throttled address = %d, want 401", i+1, resp.StatusCode)
		}
	}

	// With a stolen application token each random AUTH_ID costs one call,
	// until the address has used up its refusals.
	before = refused()
	st = s.flood(t, "203.0.113.8", 60, 8, func() url.Values { return tabForm(p.MemberID(), p.ApplicationToken(), randomHex(t)) })
	if n := refused() - before; n == 0 || n > entryFailures {
		t.Errorf("a stolen application token with random AUTH_IDs cost %d portal calls, want 1..%d", n, entryFailures)
	}
	if st[401]+st[429] != 60 || st[429] < 60-entryFailures {
		t.Errorf("random AUTH_IDs answered %v, want 401s and then 429s", st)
	}
	resp, body := s.send(t, "POST", "/bitrix/tab", "203.0.113.8", "", tabForm(p.MemberID(), p.ApplicationToken(), randomHex(t)))
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "Try again") {
		t.Errorf("a throttled address = %d (Retry-After %q): %.200s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}

	// The same refused token again and again costs one call.
	before = refused()
	bad := randomHex(t)
	st = s.flood(t, "203.0.113.9", 10, 1, func() url.Values { return tabForm(p.MemberID(), p.ApplicationToken(), bad) })
	if n := refused() - before; n != 1 || st[401] != 10 {
		t.Errorf("one bad AUTH_ID sent 10 times cost %d portal calls (answers %v), want 1", n, st)
	}
	if n := sessions(); n != sessionsBefore {
		t.Errorf("refused entries left %d sessions", n-sessionsBefore)
	}
	// An employee opening the app gets their own page (the deleted records
	// they may read), not the settings.
	emp, err := p.IssueTokens(2)
	if err != nil {
		t.Fatal(err)
	}
	appForm := tabForm(p.MemberID(), p.ApplicationToken(), emp.AccessToken)
	appForm.Set("PLACEMENT", "DEFAULT")
	if resp, body := s.send(t, "POST", "/bitrix/app", "198.51.100.1", "", appForm); resp.StatusCode != http.StatusOK || strings.Contains(body, "/settings/") {
		t.Errorf("an employee's app entry = %d: %.200s", resp.StatusCode, body)
	}
	sessionsBefore++

	// Meanwhile the administrator opens the tab from the office.
	tok, err := p.IssueTokens(p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	resp, body = s.send(t, "POST", "/bitrix/tab?LANG=en", "198.51.100.1", "", tabForm(p.MemberID(), p.ApplicationToken(), tok.AccessToken))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-session="`) {
		t.Fatalf("the administrator's tab = %d: %.300s", resp.StatusCode, body)
	}
	if n := sessions(); n != sessionsBefore+1 {
		t.Errorf("sessions = %d, want the employee's and the administrator's only", n-sessionsBefore+1)
	}
}

// Successful entries from one address (an office) are never throttled.
func TestEntryThrottleCountsOnlyRefusals(t *testing.T) {
	t.Parallel()
	s, p := hardenedStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 32}})
	for i := range entryFailures + 5 {
		tok, err := p.IssueTokens(p.UserIDs()[i%3])
		if err != nil {
			t.Fatal(err)
		}
		if resp, _ := s.send(t, "POST", "/bitrix/tab", "198.51.100.2", "", tabForm(p.MemberID(), p.ApplicationToken(), tok.AccessToken)); resp.StatusCode != http.StatusOK {
			t.Fatalf("entry %d from the office = %d", i+1, resp.StatusCode)
		}
	}
}

// When the portal's bucket leaves a person waiting longer than Trail lets
// a page wait, the answer is "busy, try again", not a page that hangs.
func TestBusyPortalAnswersRetryLater(t *testing.T) {
	t.Parallel()
	s, p := hardenedStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 33}})
	// Users' calls are booked in the portal's user bucket (app/portal):
	// fill it and book ten more requests ahead, five seconds of waiting.
	bucket, ctx, key := db.NewBucket(s.DB), context.Background(), p.MemberID()+":user"
	if err := bucket.Full(ctx, key); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := bucket.Reserve(ctx, key, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := p.IssueTokens(p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	resp, body := s.send(t, "POST", "/bitrix/tab?LANG=en", "198.51.100.3", "", tabForm(p.MemberID(), p.ApplicationToken(), tok.AccessToken))
	retry, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusServiceUnavailable || retry < 1 || !strings.Contains(body, "Try again") {
		t.Fatalf("tab on a busy portal = %d (Retry-After %q): %.300s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
}

// NUL bytes and invalid UTF-8 in the fields of the open entry points are
// refused with a 400 that says why, and log no error.
func TestMalformedEntryInput(t *testing.T) {
	t.Parallel()
	var logs trailtest.Buffer
	s, p := hardenedStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 34}, Log: &logs, LogLevel: slog.LevelWarn})
	tok, err := p.IssueTokens(p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	good := tabForm(p.MemberID(), p.ApplicationToken(), tok.AccessToken).Encode()
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/bitrix/tab", "member_id=x%00y&" + good},
		{"POST", "/bitrix/tab", strings.Replace(good, "member_id=", "member_id=%00", 1)},
		{"POST", "/bitrix/tab?LANG=%ff", good},
		{"POST", "/bitrix/app", "PLACEMENT=DEFAULT&AUTH_ID=a%00b&member_id=" + p.MemberID()},
		{"POST", "/bitrix/session", "member_id=x%00y&AUTH_ID=abc&ticket=t"},
		{"POST", "/bitrix/session", "member_id=" + p.MemberID() + "&AUTH_ID=abc&context=deal%3A%C3"},
		{"GET", "/bitrix/login?domain=%00", ""},
		{"POST", "/bitrix/login", "domain=%00"},
	} {
		req, err := http.NewRequest(c.method, s.Base+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(clientHeader, "198.51.100.4")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if body := readBody(t, resp); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "NUL byte or invalid UTF-8") {
			t.Errorf("%s %s %q = %d %q, want 400 saying why", c.method, c.path, c.body, resp.StatusCode, body)
		}
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("malformed input logged errors:\n%s", logs.String())
	}
}

// Starting a sign-in answers alike whether Trail is installed on the portal
// or not; the callback for a portal the sign-in was not started for fails.
func TestLoginDoesNotTellWhichPortalsUseTrail(t *testing.T) {
	t.Parallel()
	s, p := hardenedStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 35}})
	_, port, _ := strings.Cut(p.Domain(), ":")
	nowhere := "nowhere.localhost:" + port
	start := func(domain string) *url.URL {
		t.Helper()
		resp, body := s.send(t, "GET", "/bitrix/login?domain="+url.QueryEscape(domain), "198.51.100.5", "", nil)
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("sign-in start for %s = %d: %.200s", domain, resp.StatusCode, body)
		}
		u, err := url.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	installed, other := start(p.Domain()), start(nowhere)
	if installed.Host != p.Domain() || other.Host != nowhere {
		t.Errorf("sign-ins go to %s and %s, want the portals named", installed.Host, other.Host)
	}
	if installed.Scheme != other.Scheme || installed.Path != other.Path || installed.Path != "/oauth/authorize/" ||
		installed.Query().Get("client_id") != other.Query().Get("client_id") || len(installed.Query()) != len(other.Query()) {
		t.Errorf("the answers differ: %s vs %s", installed, other)
	}
	if resp, _ := s.send(t, "GET", "/bitrix/login?domain=not+a+portal", "198.51.100.5", "", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a malformed domain = %d, want 400", resp.StatusCode)
	}

	// The portal signs its administrator in for a sign-in started for
	// another domain: Trail refuses it.
	portal := s.Emu.Client()
	portal.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	authorize := *installed
	q := authorize.Query()
	q.Set("state", other.Query().Get("state"))
	authorize.RawQuery = q.Encode()
	resp, err := portal.Get(authorize.String())
	if err != nil {
		t.Fatal(err)
	}
	readBody(t, resp)
	back := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.Contains(back, "code=") {
		t.Fatalf("authorize = %d → %q", resp.StatusCode, back)
	}
	resp, err = http.Get(back)
	if err != nil {
		t.Fatal(err)
	}
	if body := readBody(t, resp); resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, `data-session="`) {
		t.Errorf("callback for another domain's sign-in = %d, want 401", resp.StatusCode)
	}
}

// A session renewal needs the ticket the page got with its session, for
// the same user; without one nothing reaches the portal.
func TestRenewalNeedsTicket(t *testing.T) {
	t.Parallel()
	s, p := hardenedStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 36}})
	renew := func(authID, ticket string) (*http.Response, string) {
		return s.send(t, "POST", "/bitrix/session", "198.51.100.6", "",
			url.Values{"AUTH_ID": {authID}, "member_id": {p.MemberID()}, "context": {"deal:1"}, "ticket": {ticket}})
	}
	before := p.Stats().Unauthenticated
	for range 5 {
		if resp, _ := renew(randomHex(t), ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("renewal without a ticket = %d, want 401", resp.StatusCode)
		}
	}
	if n := p.Stats().Unauthenticated - before; n != 0 {
		t.Errorf("renewals without a ticket cost %d portal calls", n)
	}

	ticketOf := func(userID int) string {
		f, status, _ := s.OpenTab(t, p, userID, "CRM_DEAL_DETAIL_TAB", "1")
		if status != http.StatusOK || f.Renewal == "" {
			t.Fatalf("tab of user %d = %d without a renewal ticket", userID, status)
		}
		return f.Renewal
	}
	admin, err := p.IssueTokens(p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := renew(admin.AccessToken, ticketOf(2)); resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("X-Session-Token") != "" {
		t.Errorf("the administrator's token with user 2's ticket = %d, want 401 without a session", resp.StatusCode)
	}
	resp, _ := renew(admin.AccessToken, ticketOf(p.AdminID()))
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("X-Session-Token") == "" || resp.Header.Get("X-Renewal-Ticket") == "" {
		t.Fatalf("renewal with the page's ticket = %d, want 204 with a session and the next ticket", resp.StatusCode)
	}
	if status, _ := s.Page(t, resp.Header.Get("X-Session-Token")).Get("/tab/deal/1/entries"); status != http.StatusOK {
		t.Errorf("the renewed session reads the tab's record: %d", status)
	}
}

// An administrator's settings ask for a renewal (which asks user.admin
// again) once the admin flag is older than the recheck window, so an
// administrator demoted on the portal loses the settings within it.
func TestDemotedAdminLosesSettings(t *testing.T) {
	t.Parallel()
	const recheck = 2 * time.Second
	s, p := hardenedStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 37}, Config: func(c *config.Config) { c.AdminRecheck = recheck }})
	resp, body := s.send(t, "POST", "/bitrix/app?LANG=en", "198.51.100.7", "", func() url.Values {
		tok, err := p.IssueTokens(p.AdminID())
		if err != nil {
			t.Fatal(err)
		}
		f := tabForm(p.MemberID(), p.ApplicationToken(), tok.AccessToken)
		f.Set("PLACEMENT", "DEFAULT")
		f.Del("PLACEMENT_OPTIONS")
		return f
	}())
	token, ticket := trailtest.Between(body, `data-session="`, `"`), trailtest.Between(body, `data-renewal="`, `"`)
	if resp.StatusCode != http.StatusOK || token == "" || ticket == "" {
		t.Fatalf("settings page = %d without session or ticket", resp.StatusCode)
	}
	settings := func(token string) *http.Response {
		r, _ := s.send(t, "GET", "/settings/sync", "198.51.100.7", token, nil)
		return r
	}
	renew := func() {
		t.Helper()
		tok, err := p.IssueTokens(p.AdminID())
		if err != nil {
			t.Fatal(err)
		}
		r, _ := s.send(t, "POST", "/bitrix/session", "198.51.100.7", "",
			url.Values{"AUTH_ID": {tok.AccessToken}, "member_id": {p.MemberID()}, "ticket": {ticket}})
		if r.StatusCode != http.StatusNoContent {
			t.Fatalf("renewal = %d", r.StatusCode)
		}
		token, ticket = r.Header.Get("X-Session-Token"), r.Header.Get("X-Renewal-Ticket")
	}
	stale := func() bool {
		r := settings(token)
		return r.StatusCode == http.StatusUnauthorized && r.Header.Get("X-Session-Renew") == "admin"
	}

	trailtest.Eventually(t, "the admin flag to need confirming", stale)
	renew()
	if r := settings(token); r.StatusCode != http.StatusOK {
		t.Fatalf("settings after renewal as an administrator = %d", r.StatusCode)
	}

	if err := p.SetAdmin(p.AdminID(), false); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "the demoted administrator's flag to need confirming", stale)
	renew()
	if r := settings(token); r.StatusCode != http.StatusForbidden {
		t.Errorf("settings after the renewal of a demoted administrator = %d, want 403", r.StatusCode)
	}
}
