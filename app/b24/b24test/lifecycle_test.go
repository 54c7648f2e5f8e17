package b24test

import (
	"fmt"
	"net/http"
	"testing"
)

// An update raises the version app.info reports, issues a new
// application_token and sends ONAPPUPDATE with an administrator's tokens.
func TestUpdate(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	s, p, tok := installed(t, Options{})
	old := p.ApplicationToken()
	mustOK(t, appCall(t, s, p, tok.AccessToken, "event.bind", map[string]any{"event": "ONAPPUPDATE", "handler": h.URL}))
	newTok, err := p.Update()
	if err != nil {
		t.Fatal(err)
	}
	if newTok == old || p.ApplicationToken() != newTok {
		t.Errorf("application_token after update = %q (was %q, returned %q)", p.ApplicationToken(), old, newTok)
	}
	b := waitN(t, p, 1)[0].Body
	if b.Get("event") != "ONAPPUPDATE" || b.Get("data[VERSION]") != "2" || b.Get("data[PREVIOUS_VERSION]") != "1" ||
		b.Get("auth[application_token]") != newTok || b.Get("auth[refresh_token]") == "" || b.Get("auth[user_id]") != "1" {
		t.Errorf("ONAPPUPDATE = %v", b)
	}
	info := object(mustOK(t, appCall(t, s, p, b.Get("auth[access_token]"), "app.info", nil)).body["result"])
	if fmt.Sprint(info["VERSION"]) != "2" || info["INSTALLED"] != true {
		t.Errorf("app.info after update = %v", info)
	}
	// The bindings survive the update: the next one, through the control
	// API, is delivered too.
	a := postJSON(t, s.Client(), s.URL+"/_emulator/portals/"+p.MemberID()+"/update", nil)
	if a.status != http.StatusOK || a.body["application_token"] != p.ApplicationToken() {
		t.Fatalf("control update = %d %s", a.status, a.raw)
	}
	if b := waitN(t, p, 2)[1].Body; b.Get("data[VERSION]") != "3" {
		t.Errorf("second ONAPPUPDATE = %v", b)
	}
	if a := appCall(t, s, p, tok.AccessToken, "user.admin", nil); a.body["result"] != true {
		t.Errorf("user.admin for the administrator = %s", a.raw)
	}
}

// After an uninstall the saved refresh token is refused too, and a
// reinstall brings a new application_token.
func TestUninstallKillsRefreshAndReinstallGetsNewToken(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{})
	old := p.ApplicationToken()
	if _, err := p.Update(); err != nil {
		t.Fatal(err)
	}
	if err := p.Uninstall(false); err != nil {
		t.Fatal(err)
	}
	a := postForm(t, s.Client(), s.OAuthTokenURL(), "grant_type=refresh_token&client_id=local.test&client_secret=s3cret&refresh_token="+q(tok.RefreshToken))
	if a.status != http.StatusBadRequest || a.errCode() != "invalid_grant" {
		t.Errorf("refresh after uninstall = %d %s", a.status, a.raw)
	}
	if _, err := p.Update(); err != ErrNotInstalled {
		t.Errorf("Update of an uninstalled app = %v", err)
	}
	tokNew, err := p.Install()
	if err != nil {
		t.Fatal(err)
	}
	if tokNew == old || tokNew == "" {
		t.Errorf("reinstall kept application_token %q", tokNew)
	}
	admin, err := p.IssueTokens(p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	info := object(mustOK(t, appCall(t, s, p, admin.AccessToken, "app.info", nil)).body["result"])
	if fmt.Sprint(info["VERSION"]) != "1" {
		t.Errorf("app.info after reinstall = %v", info)
	}
	if n := s.OAuthRequests(); n != 1 {
		t.Errorf("OAuthRequests = %d, want 1", n)
	}
	if a := appCall(t, s, p, mustTokens(t, p, 2).AccessToken, "user.admin", nil); a.body["result"] != false {
		t.Errorf("user.admin for an employee = %s", a.raw)
	}
}

func mustTokens(t *testing.T, p *Portal, userID int) Tokens {
	t.Helper()
	tok, err := p.IssueTokens(userID)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
