package server_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// framePost opens a placement as the portal does: a form POST with the
// user's fresh tokens.
func framePost(t *testing.T, base, path string, p *b24test.Portal, userID int, placement, options string) *http.Response {
	t.Helper()
	tok, err := p.IssueTokens(userID)
	if err != nil {
		t.Fatal(err)
	}
	return framePostAuth(t, base, path, p.MemberID(), p.ApplicationToken(), tok.AccessToken, p.Domain(), placement, options)
}

// framePostAuth posts a frame form as it could be forged: any member_id,
// application token, user token and DOMAIN.
func framePostAuth(t *testing.T, base, path, member, appToken, auth, domain, placement, options string) *http.Response {
	t.Helper()
	form := url.Values{
		"AUTH_ID": {auth}, "AUTH_EXPIRES": {"3600"}, "member_id": {member}, "APPLICATION_TOKEN": {appToken},
		"PLACEMENT": {placement}, "PLACEMENT_OPTIONS": {options}, "status": {"L"},
	}
	u := base + path + "?DOMAIN=" + url.QueryEscape(domain) + "&PROTOCOL=0&LANG=en&APP_SID=abc"
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func readBody(t *testing.T, r *http.Response) string {
	t.Helper()
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func getWith(t *testing.T, u, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("X-Session-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readBody(t, resp)
}

func TestHistoryTab(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 2, Deals: 20, Contacts: 5, Companies: 5, Leads: 5, Seed: 3}})
	p, other := s.Emu.Portals()[0], s.Emu.Portals()[1]
	for _, x := range []*b24test.Portal{p, other} {
		if _, err := x.Install(); err != nil {
			t.Fatal(err)
		}
	}
	id := s.Installed(t, p)
	s.Installed(t, other)
	if err := p.UpdateRecord("deal", 3, 2, map[string]any{"TITLE": "Tab test title"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "history", func() bool {
		return len(s.History(t, id, crm.Deal, 3)) == 1
	})

	resp := framePost(t, s.Base, "/bitrix/tab", p, p.AdminID(), "CRM_DEAL_DETAIL_TAB", `{"ID":"3"}`)
	body := readBody(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, "Tab test title") {
		t.Fatalf("tab = %d, body lacks the change:\n%s", resp.StatusCode, body)
	}
	portalOrigin := "http://" + p.Domain()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors "+portalOrigin) || strings.Contains(csp, "frame-ancestors *") {
		t.Errorf("CSP %q must allow exactly %s to frame the tab", csp, portalOrigin)
	}
	if resp.Header.Get("X-Frame-Options") != "" || resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("X-Frame-Options %q, Set-Cookie %q: both must be absent", resp.Header.Get("X-Frame-Options"), resp.Header.Get("Set-Cookie"))
	}
	token := between(body, `data-session="`, `"`)
	if len(token) < 20 {
		t.Fatalf("no session token in the page")
	}

	// The session works from the header only.
	r, frag := getWith(t, s.Base+"/tab/deal/3/entries", token)
	if r.StatusCode != 200 || !strings.Contains(frag, "Tab test title") {
		t.Fatalf("entries with the session = %d %q", r.StatusCode, frag)
	}
	if r, _ := getWith(t, s.Base+"/tab/deal/3/entries", ""); r.StatusCode != 401 {
		t.Errorf("entries without a session = %d, want 401", r.StatusCode)
	}
	// The session covers the record it was opened for, not others.
	if r, _ := getWith(t, s.Base+"/tab/deal/4/entries", token); r.StatusCode != 401 {
		t.Errorf("another record with this session = %d, want 401", r.StatusCode)
	}
	r, csv := getWith(t, s.Base+"/tab/deal/3/export.csv", token)
	if r.StatusCode != 200 || !strings.Contains(csv, "Tab test title") || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("export = %d %q", r.StatusCode, csv)
	}

	// Times are shown in the user's own zone (user 2 works in Moscow time).
	resp = framePost(t, s.Base, "/bitrix/tab", p, 2, "CRM_DEAL_DETAIL_TAB", `{"ID":"3"}`)
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(body, `+03:00"`) {
		t.Errorf("user 2's tab (%d) does not show Moscow times", resp.StatusCode)
	}

	// A user who may read only their own records gets no history of others'.
	ownOnly := p.OwnRecordsUserID()
	others := 0
	for id := 1; id <= 20; id++ {
		if rec, ok := p.Record("deal", id); ok && rec["ASSIGNED_BY_ID"] != itoaInt(ownOnly) {
			others = id
			break
		}
	}
	if others == 0 {
		t.Fatal("the generated deals are all the own-records user's; the check needs another's")
	}
	resp = framePost(t, s.Base, "/bitrix/tab", p, ownOnly, "CRM_DEAL_DETAIL_TAB", `{"ID":"`+itoaInt(others)+`"}`)
	if body := readBody(t, resp); resp.StatusCode != 403 || strings.Contains(body, "data-session") {
		t.Errorf("own-records user on another's deal %d = %d, want 403 without a session", others, resp.StatusCode)
	}

	// A token of another portal, or a forged DOMAIN, is refused.
	otherTok, _ := other.IssueTokens(other.AdminID())
	resp = framePostAuth(t, s.Base, "/bitrix/tab", p.MemberID(), p.ApplicationToken(), otherTok.AccessToken, p.Domain(), "CRM_DEAL_DETAIL_TAB", `{"ID":"3"}`)
	if body := readBody(t, resp); resp.StatusCode != 401 || strings.Contains(body, "Tab test title") {
		t.Errorf("another portal's token = %d, want 401", resp.StatusCode)
	}
	tok, _ := p.IssueTokens(p.AdminID())
	resp = framePostAuth(t, s.Base, "/bitrix/tab", p.MemberID(), p.ApplicationToken(), tok.AccessToken, "evil.example.com", "CRM_DEAL_DETAIL_TAB", `{"ID":"3"}`)
	if body := readBody(t, resp); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), portalOrigin) || strings.Contains(body, "evil.example.com") {
		t.Errorf("a forged DOMAIN must change nothing: %d %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	resp = framePostAuth(t, s.Base, "/bitrix/tab", "0123456789abcdef0123456789abcdef", p.ApplicationToken(), tok.AccessToken, p.Domain(), "CRM_DEAL_DETAIL_TAB", `{"ID":"3"}`)
	if resp.StatusCode != 401 {
		t.Errorf("unknown member_id = %d, want 401", resp.StatusCode)
	}
	readBody(t, resp)

	// Portal B's admin, asking for A's deal 3 with B's session, sees B's data only.
	resp = framePost(t, s.Base, "/bitrix/tab", other, other.AdminID(), "CRM_DEAL_DETAIL_TAB", `{"ID":"3"}`)
	body = readBody(t, resp)
	if resp.StatusCode != 200 || strings.Contains(body, "Tab test title") {
		t.Errorf("portal B's tab for its deal 3 shows portal A's change (%d)", resp.StatusCode)
	}
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	j := strings.Index(s, b)
	if j < 0 {
		return ""
	}
	return s[:j]
}

func itoaInt(n int) string { return strconv.Itoa(n) }
