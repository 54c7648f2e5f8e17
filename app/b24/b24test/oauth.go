package b24test

import (
	"net/http"
	"net/url"
	"strings"
)

// oauthError is the authorization server's error body.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, objOf("error", code, "error_description", desc))
}

// serveOAuth is the authorization server at oauth.localhost: the token
// endpoint takes GET or form POST, as oauth.bitrix.info does.
func (s *Server) serveOAuth(w http.ResponseWriter, r *http.Request) {
	if normalizeMethod(strings.TrimPrefix(r.URL.Path, "/rest/")) == "app.info" {
		s.serveServerAppInfo(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/oauth/token") {
		http.NotFound(w, r)
		return
	}
	s.oauthRequests.Add(1)
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "Malformed request")
		return
	}
	a := s.registeredApp()
	if a == nil || r.Form.Get("client_id") != a.ClientID || r.Form.Get("client_secret") != a.ClientSecret {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Invalid client credentials")
		return
	}
	var (
		p   *Portal
		uid int
	)
	now := s.now()
	s.mu.Lock()
	switch r.Form.Get("grant_type") {
	case "refresh_token":
		rt := s.tokens.refresh[r.Form.Get("refresh_token")]
		if rt == nil || rt.used || !now.Before(rt.expires) {
			s.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid refresh token")
			return
		}
		rt.used = true
		p, uid = rt.portal, rt.userID
	case "authorization_code":
		code := r.Form.Get("code")
		ac := s.tokens.codes[code]
		delete(s.tokens.codes, code)
		if ac == nil || !now.Before(ac.expires) {
			s.mu.Unlock()
			oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid authorization code")
			return
		}
		p, uid = ac.portal, ac.userID
	default:
		s.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "invalid_request", "Unsupported grant_type")
		return
	}
	t := s.issueLocked(p, uid)
	s.mu.Unlock()
	if r.Form.Get("grant_type") == "refresh_token" {
		p.refreshes.Add(1)
	}
	writeJSON(w, http.StatusOK, s.tokenResponse(p, t, a))
}

// OAuthRequests counts the requests to the token endpoint, refused ones
// included: what an app spends of its client secret.
func (s *Server) OAuthRequests() int64 { return s.oauthRequests.Load() }

// tokenResponse is the authorization server's token answer:
// https://apidocs.bitrix24.com/settings/oauth/index.html
func (s *Server) tokenResponse(p *Portal, t Tokens, a *App) *obj {
	return objOf(
		"access_token", t.AccessToken,
		"client_endpoint", p.ClientEndpoint(),
		"domain", s.oauthHost(),
		"expires", t.Expires.Unix(),
		"expires_in", t.ExpiresIn,
		"member_id", p.memberID,
		"refresh_token", t.RefreshToken,
		"scope", scopeString(a.Scopes),
		"server_endpoint", s.OAuthEndpoint(),
		"status", "F",
		"user_id", t.UserID,
	)
}

// serveAuthorize is the portal's /oauth/authorize/: for the registered
// client installed here it redirects to the app's redirect URI with a
// 30-second code. The signed-in user is the user_id query parameter,
// else the administrator. Failures show an error page, never a redirect.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request, p *Portal) {
	q := r.URL.Query()
	a := s.registeredApp()
	if a == nil || q.Get("client_id") != a.ClientID || !p.Installed() {
		http.Error(w, "The application is not installed on this portal.", http.StatusBadRequest)
		return
	}
	uid := adminID
	if v := q.Get("user_id"); v != "" {
		n, err := parseInt(v)
		if err != nil || p.user(n) == nil {
			http.Error(w, "Unknown user.", http.StatusBadRequest)
			return
		}
		uid = n
	}
	code := randomHex(16)
	s.mu.Lock()
	s.tokens.codes[code] = &authCode{portal: p, userID: uid, expires: s.now().Add(codeLifetime)}
	s.mu.Unlock()
	target := a.RedirectURI
	if target == "" {
		target = a.AppURL
	}
	u, err := url.Parse(target)
	if err != nil || target == "" {
		http.Error(w, "The application has no redirect URI.", http.StatusBadRequest)
		return
	}
	v := u.Query()
	v.Set("code", code)
	v.Set("state", q.Get("state"))
	v.Set("domain", p.Domain())
	v.Set("member_id", p.memberID)
	v.Set("scope", scopeString(a.Scopes))
	v.Set("server_domain", s.oauthHost())
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// serveServerAppInfo is app.info on the authorization server, the trusted
// check of a token: which portal and user it belongs to and whether the
// app is installed there. Only result.install.uri is known from public
// code; the other keys are this emulator's guess.
func (s *Server) serveServerAppInfo(w http.ResponseWriter, r *http.Request) {
	params, err := readParams(r)
	if err != nil {
		writeError(w, newErr(http.StatusBadRequest, "invalid_request", err.Error()))
		return
	}
	at, aerr := s.lookupAccess(str(valueCI(params, "auth")))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	a := s.registeredApp()
	p := at.portal
	if a == nil {
		writeError(w, errInvalidToken)
		return
	}
	writeJSON(w, http.StatusOK, objOf("result", objOf(
		"scope", scopeString(a.Scopes),
		"client_id", a.ClientID,
		"expires", at.expires.Unix(),
		"install", objOf("installed", p.Installed(), "version", p.appVersion(a), "status", "F", "uri", "http://"+p.Domain()),
		"member_id", p.memberID,
		"user_id", at.userID,
	)))
}
