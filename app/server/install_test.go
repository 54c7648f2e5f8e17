package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/trailtest"
)

// The installer-page flavour: the portal opens Trail's install URL in its
// iframe with the admin's tokens; Trail confirms and stores them, runs
// setup, and the page reports ready so that the SDK's installFinish can
// complete the installation.
func TestInstallerPage(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 10, Seed: 5}, App: func(a *b24test.App, base string) {
		a.InstallURL = base + "/bitrix/install"
	}})
	p := s.Emu.Portals()[0]
	appToken, err := p.Install()
	if err != nil {
		t.Fatal(err)
	}
	if p.Installed() {
		t.Fatal("with an installer page the installation must wait for installFinish")
	}
	tok, err := p.IssueTokens(p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{
		"AUTH_ID": {tok.AccessToken}, "REFRESH_ID": {tok.RefreshToken}, "AUTH_EXPIRES": {"3600"},
		"APPLICATION_TOKEN": {appToken}, "member_id": {p.MemberID()}, "PLACEMENT": {"DEFAULT"}, "PLACEMENT_OPTIONS": {"{}"},
	}
	resp, err := http.PostForm(s.Base+"/bitrix/install?DOMAIN="+p.Domain()+"&PROTOCOL=0&LANG=ru&APP_SID=x", form)
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, "/bitrix/install/status") || !strings.Contains(body, "Установка Trail") {
		t.Fatalf("installer page = %d:\n%s", resp.StatusCode, body)
	}
	page := s.Page(t, trailtest.Between(body, `data-session="`, `"`))
	trailtest.Eventually(t, "setup done", func() bool {
		_, frag := page.Get("/bitrix/install/status")
		return strings.Contains(frag, "data-install-ready")
	})
	if err := p.CompleteInstall(); err != nil { // what the SDK's installFinish does
		t.Fatal(err)
	}
	s.Installed(t, p) // active, baseline copied
	// A forged installer form (wrong refresh token) stores nothing new.
	form.Set("REFRESH_ID", "not-a-token")
	form.Set("member_id", "ffffffffffffffffffffffffffffffff")
	resp, _ = http.PostForm(s.Base+"/bitrix/install", form)
	readBody(t, resp)
	if resp.StatusCode != 401 || len(s.Installations(t)) != 1 {
		t.Fatalf("forged installer form = %d", resp.StatusCode)
	}
}
