package web

import (
	"net/url"
	"strings"
	"testing"
)

func TestTabShowsOnlyTheRecordTheSessionMayRead(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	a, token := s.enter(t, "/bitrix/tab", s.portal.AdminID(), "CRM_DEAL_DETAIL_TAB", `{"ID":"1"}`)
	if a.status != 200 || token == "" {
		t.Fatalf("tab entry: %d %.300s", a.status, a.body)
	}
	s.do(t, "GET", "/tab/deal/1/entries", token, nil).want(t, 200)
	s.do(t, "GET", "/tab/2/1/entries", token, nil).want(t, 200) // the type by its entityTypeId
	csv := s.do(t, "GET", "/tab/deal/1/export.csv", token, nil)
	csv.want(t, 200)
	if !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") {
		t.Errorf("export content type %q", csv.header.Get("Content-Type"))
	}
	s.do(t, "GET", "/tab/deal/2/entries", token, nil).want(t, 401)
	s.do(t, "GET", "/tab/invoice/1/entries", token, nil).want(t, 404)
	s.do(t, "GET", "/tab/deal/x/entries", token, nil).want(t, 404)
	s.do(t, "GET", "/tab/deal/1/entries?after=bogus", token, nil).want(t, 400)
	// The session is the administrator's: it reaches the settings too.
	s.do(t, "GET", "/settings/sync", token, nil).want(t, 200)
}

func TestTabEntryRefusals(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	a, _ := s.enter(t, "/bitrix/tab", s.portal.AdminID(), "CRM_DEAL_DETAIL_TAB", `{}`)
	a.want(t, 400)
	a, _ = s.enter(t, "/bitrix/tab", s.portal.AdminID(), "CRM_DEAL_DETAIL_TAB", `{"ID":"999999"}`)
	a.want(t, 403)
	// Another app token: not this installation's frame.
	tok := s.Tokens(t, s.portal, s.portal.AdminID())
	s.do(t, "POST", "/bitrix/app", "", url.Values{"AUTH_ID": {tok.AccessToken}, "member_id": {s.portal.MemberID()}, "APPLICATION_TOKEN": {"forged"}}).want(t, 401)
	s.do(t, "POST", "/bitrix/app", "", url.Values{"AUTH_ID": {"made-up"}, "member_id": {s.portal.MemberID()}, "APPLICATION_TOKEN": {s.portal.ApplicationToken()}}).want(t, 401)
	s.do(t, "POST", "/bitrix/app", "", url.Values{"AUTH_ID": {tok.AccessToken}, "member_id": {s.Portal(1).MemberID()}, "APPLICATION_TOKEN": {"x"}}).want(t, 401)
	s.do(t, "POST", "/bitrix/app", "", url.Values{"AUTH_ID": {"a b"}}).want(t, 401)
}

func TestRenewSession(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	a, _ := s.enter(t, "/bitrix/tab", s.portal.AdminID(), "CRM_DEAL_DETAIL_TAB", `{"ID":"1"}`)
	m := renewalAttr.FindStringSubmatch(a.body)
	if m == nil {
		t.Fatalf("no renewal ticket in the page: %.300s", a.body)
	}
	ticket := strings.ReplaceAll(m[1], "&amp;", "&")
	form := func(userID int, ticket string) url.Values {
		return url.Values{"member_id": {s.portal.MemberID()}, "AUTH_ID": {s.Tokens(t, s.portal, userID).AccessToken},
			"ticket": {ticket}, "context": {"deal:1"}}
	}
	r := s.do(t, "POST", "/bitrix/session", "", form(s.portal.AdminID(), ticket))
	r.want(t, 204)
	token := r.header.Get(SessionHeader)
	if token == "" {
		t.Fatal("no session in the renewal's answer")
	}
	s.do(t, "GET", "/tab/deal/1/entries", token, nil).want(t, 200)
	// Another user's token with the admin's ticket; a forged ticket.
	s.do(t, "POST", "/bitrix/session", "", form(s.Employee(t, s.portal), ticket)).want(t, 401)
	s.do(t, "POST", "/bitrix/session", "", form(s.portal.AdminID(), "forged")).want(t, 401)
}

func TestEventHandlers(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	event := func(name, appToken string) url.Values {
		return url.Values{"event": {name}, "data[FIELDS][ID]": {"2"}, "auth[member_id]": {s.portal.MemberID()}, "auth[application_token]": {appToken}}
	}
	s.do(t, "POST", "/bitrix/events", "", event("ONCRMDEALUPDATE", s.portal.ApplicationToken())).want(t, 200)
	if n := s.Count(t, "SELECT count(*) FROM inbox WHERE portal_id = ? AND entity_id = 2", s.in.ID); n != 1 {
		t.Errorf("%d inbox rows, want 1", n)
	}
	s.do(t, "POST", "/bitrix/events", "", event("ONCRMDEALUPDATE", "forged")).want(t, 401)
	s.do(t, "POST", "/bitrix/events", "", url.Values{"event": {"ONCRMDEALUPDATE"}}).want(t, 400)
	s.do(t, "POST", "/bitrix/uninstall", "", event("ONCRMDEALUPDATE", s.portal.ApplicationToken())).want(t, 400)
	s.do(t, "POST", "/bitrix/uninstall", "", event("ONAPPUNINSTALL", "forged")).want(t, 401)
	s.do(t, "POST", "/bitrix/uninstall", "", event("ONAPPUNINSTALL", s.portal.ApplicationToken())).want(t, 200)
	s.do(t, "POST", "/bitrix/install", "", event("ONCRMDEALUPDATE", s.portal.ApplicationToken())).want(t, 400)
}

func TestInstallerPage(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	p := s.Portal(1)
	appToken, err := p.Install()
	if err != nil {
		t.Fatal(err)
	}
	page := func(userID int) answer {
		tok := s.Tokens(t, p, userID)
		return s.do(t, "POST", "/bitrix/install", "", url.Values{
			"AUTH_ID": {tok.AccessToken}, "REFRESH_ID": {tok.RefreshToken}, "member_id": {p.MemberID()}, "APPLICATION_TOKEN": {appToken},
		})
	}
	page(s.Employee(t, p)).want(t, 403)
	a := page(p.AdminID())
	a.want(t, 200)
	m := sessionAttr.FindStringSubmatch(a.body)
	if m == nil {
		t.Fatalf("no session in the installer page: %.300s", a.body)
	}
	s.do(t, "GET", "/bitrix/install/status", m[1], nil).want(t, 200, "muted") // setup has not run
}
