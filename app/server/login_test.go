package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/trailtest"
)

// Sign-in with Bitrix24 outside the portal: Trail → the portal's authorize
// page → back to Trail with a code, exchanged at the OAuth server.
func TestLoginWithBitrix24(t *testing.T) {
	t.Parallel()
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 5, Seed: 9}, App: func(a *b24test.App, base string) {
		a.RedirectURI = base + "/bitrix/login"
	}})
	p := s.Emu.Portals()[0]
	s.Install(t, p)
	// The emulator's client reaches portal hosts; Trail is on plain loopback.
	portal := s.Emu.Client()
	portal.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	trail := &http.Client{CheckRedirect: portal.CheckRedirect}
	step := func(c *http.Client, u string) *http.Response {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		readBody(t, resp)
		return resp
	}
	signIn := func(userParam string) *http.Response {
		r := step(trail, s.Base+"/bitrix/login?domain="+url.QueryEscape(strings.ToUpper(p.Domain())))
		if r.StatusCode != http.StatusFound {
			t.Fatalf("login start = %d", r.StatusCode)
		}
		authorize := r.Header.Get("Location")
		if !strings.HasPrefix(authorize, "http://"+p.Domain()+"/oauth/authorize/") {
			t.Fatalf("redirected to %q, want the portal's authorize page", authorize)
		}
		r = step(portal, authorize+userParam)
		if r.StatusCode != http.StatusFound {
			t.Fatalf("authorize = %d", r.StatusCode)
		}
		back := r.Header.Get("Location")
		resp, err := http.Get(back)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := signIn("")
	body := readBody(t, resp)
	if resp.StatusCode != 200 || !strings.Contains(body, `data-session="`) || resp.Header.Get("Set-Cookie") != "" {
		t.Fatalf("admin sign-in = %d:\n%s", resp.StatusCode, body)
	}
	resp = signIn("&user_id=2")
	if body := readBody(t, resp); resp.StatusCode != http.StatusForbidden || strings.Contains(body, `data-session="`) {
		t.Fatalf("non-admin sign-in = %d", resp.StatusCode)
	}
	// A made-up or altered state is refused.
	resp, err := http.Get(s.Base + "/bitrix/login?code=abc&state=AAAA&member_id=" + p.MemberID())
	if err != nil {
		t.Fatal(err)
	}
	if readBody(t, resp); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged state = %d, want 401", resp.StatusCode)
	}
}
