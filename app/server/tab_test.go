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

func readBody(t *testing.T, r *http.Response) string {
	t.Helper()
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
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

	f, _, body := s.OpenTab(t, p, p.AdminID(), "CRM_DEAL_DETAIL_TAB", "3")
	resp := f.Response
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
	if len(f.Session) < 20 {
		t.Fatalf("no session token in the page")
	}

	// The session works from the header only.
	status, frag := f.Get("/tab/deal/3/entries")
	if status != 200 || !strings.Contains(frag, "Tab test title") {
		t.Fatalf("entries with the session = %d %q", status, frag)
	}
	if status, _ := s.Page(t, "").Get("/tab/deal/3/entries"); status != 401 {
		t.Errorf("entries without a session = %d, want 401", status)
	}
	// The session covers the record it was opened for, not others.
	if status, _ := f.Get("/tab/deal/4/entries"); status != 401 {
		t.Errorf("another record with this session = %d, want 401", status)
	}
	status, csv := f.Get("/tab/deal/3/export.csv")
	if status != 200 || !strings.Contains(csv, "Tab test title") || !strings.HasPrefix(f.Response.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("export = %d %q", status, csv)
	}

	// Times are shown in the user's own zone (user 2 works in Moscow time).
	if _, status, body := s.OpenTab(t, p, 2, "CRM_DEAL_DETAIL_TAB", "3"); status != 200 || !strings.Contains(body, `+03:00"`) {
		t.Errorf("user 2's tab (%d) does not show Moscow times", status)
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
	if _, status, body := s.OpenTab(t, p, ownOnly, "CRM_DEAL_DETAIL_TAB", itoaInt(others)); status != 403 || strings.Contains(body, "data-session") {
		t.Errorf("own-records user on another's deal %d = %d, want 403 without a session", others, status)
	}

	// A token of another portal, or a forged DOMAIN, is refused.
	tab := func(userOf *b24test.Portal) url.Values {
		form := trailtest.FrameForm(t, userOf, userOf.AdminID(), "CRM_DEAL_DETAIL_TAB", `{"ID":"3"}`)
		form.Set("member_id", p.MemberID())
		form.Set("APPLICATION_TOKEN", p.ApplicationToken())
		form.Del("REFRESH_ID")
		return form
	}
	if resp, body := s.PostFrame(t, "/bitrix/tab", p.Domain(), tab(other)); resp.StatusCode != 401 || strings.Contains(body, "Tab test title") {
		t.Errorf("another portal's token = %d, want 401", resp.StatusCode)
	}
	if resp, body := s.PostFrame(t, "/bitrix/tab", "evil.example.com", tab(p)); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), portalOrigin) || strings.Contains(body, "evil.example.com") {
		t.Errorf("a forged DOMAIN must change nothing: %d %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	unknown := tab(p)
	unknown.Set("member_id", "0123456789abcdef0123456789abcdef")
	if resp, _ := s.PostFrame(t, "/bitrix/tab", p.Domain(), unknown); resp.StatusCode != 401 {
		t.Errorf("unknown member_id = %d, want 401", resp.StatusCode)
	}

	// Portal B's admin, asking for A's deal 3 with B's session, sees B's data only.
	if _, status, body := s.OpenTab(t, other, other.AdminID(), "CRM_DEAL_DETAIL_TAB", "3"); status != 200 || strings.Contains(body, "Tab test title") {
		t.Errorf("portal B's tab for its deal 3 shows portal A's change (%d)", status)
	}
}

func itoaInt(n int) string { return strconv.Itoa(n) }
