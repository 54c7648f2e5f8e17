package b24test

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{})
	c := s.Client()
	refresh := func(rt string) answer {
		return get(t, c, s.OAuthTokenURL()+"?grant_type=refresh_token&client_id=local.test&client_secret=s3cret&refresh_token="+rt)
	}
	a := mustOK(t, refresh(tok.RefreshToken))
	for _, k := range []string{"access_token", "client_endpoint", "domain", "expires", "expires_in", "member_id", "refresh_token", "scope", "server_endpoint", "status", "user_id"} {
		if _, ok := a.body[k]; !ok {
			t.Errorf("token response lacks %q: %s", k, a.raw)
		}
	}
	if a.body["client_endpoint"] != p.ClientEndpoint() || a.body["member_id"] != p.MemberID() || a.body["domain"] != "oauth.localhost:"+s.port {
		t.Errorf("token response = %s", a.raw)
	}
	if got := p.Refreshes(); got != 1 {
		t.Errorf("Refreshes = %d, want 1", got)
	}
	again := refresh(tok.RefreshToken)
	if again.status != http.StatusBadRequest || again.errCode() != "invalid_grant" {
		t.Errorf("reused refresh token = %d %s", again.status, again.raw)
	}
	post := postForm(t, c, s.OAuthTokenURL(), "grant_type=refresh_token&client_id=local.test&client_secret=s3cret&refresh_token="+strString(a.body["refresh_token"]))
	mustOK(t, post)
	bad := get(t, c, s.OAuthTokenURL()+"?grant_type=refresh_token&client_id=local.test&client_secret=wrong&refresh_token=x")
	if bad.status != http.StatusUnauthorized || bad.errCode() != "invalid_client" {
		t.Errorf("wrong secret = %d %s", bad.status, bad.raw)
	}
	if got := p.Refreshes(); got != 2 {
		t.Errorf("Refreshes = %d, want 2", got)
	}
	mustOK(t, appCall(t, s, p, strString(post.body["access_token"]), "crm.deal.list", nil))
	info := mustOK(t, get(t, c, s.OAuthEndpoint()+"app.info?auth="+strString(post.body["access_token"])))
	if uri := object(object(info.body["result"])["install"])["uri"]; uri != "http://"+p.Domain() {
		t.Errorf("server-side app.info install.uri = %v", uri)
	}
}

func TestAuthorizationCode(t *testing.T) {
	t.Parallel()
	clk := newClock()
	app := testApp()
	app.RedirectURI = "http://app.example/oauth/callback"
	s, p, _ := installed(t, Options{Now: clk.Now, App: app})
	c := s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	authorize := func() url.Values {
		resp, err := c.Get("http://" + p.Domain() + "/oauth/authorize/?client_id=local.test&state=xyz&user_id=3")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			t.Fatalf("authorize = %d", resp.StatusCode)
		}
		u, _ := url.Parse(resp.Header.Get("Location"))
		if u.Path != "/oauth/callback" {
			t.Errorf("redirected to %s", u)
		}
		return u.Query()
	}
	v := authorize()
	if v.Get("state") != "xyz" || v.Get("member_id") != p.MemberID() || v.Get("domain") != p.Domain() || v.Get("server_domain") == "" || v.Get("scope") == "" {
		t.Errorf("redirect query = %v", v)
	}
	exchange := func(code string) answer {
		return get(t, c, s.OAuthTokenURL()+"?grant_type=authorization_code&client_id=local.test&client_secret=s3cret&code="+code)
	}
	a := mustOK(t, exchange(v.Get("code")))
	if a.body["user_id"].(interface{ String() string }).String() != "3" {
		t.Errorf("code grant user = %v", a.body["user_id"])
	}
	if again := exchange(v.Get("code")); again.errCode() != "invalid_grant" {
		t.Errorf("reused code = %s", again.raw)
	}
	late := authorize().Get("code")
	clk.Add(31 * time.Second)
	if e := exchange(late); e.errCode() != "invalid_grant" {
		t.Errorf("31 s old code = %s", e.raw)
	}
	resp, _ := c.Get("http://" + p.Domain() + "/oauth/authorize/?client_id=other")
	resp.Body.Close()
	if resp.StatusCode == http.StatusFound {
		t.Error("unknown client was redirected")
	}
}

func TestUninstallRevokesTokens(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{})
	if err := p.Uninstall(true); err != nil {
		t.Fatal(err)
	}
	if a := appCall(t, s, p, tok.AccessToken, "crm.deal.list", nil); a.status != http.StatusUnauthorized || a.errCode() != "invalid_token" {
		t.Errorf("token after uninstall = %d %s", a.status, a.raw)
	}
	if _, err := p.IssueTokens(1); err == nil {
		t.Error("IssueTokens worked on an uninstalled portal")
	}
}
