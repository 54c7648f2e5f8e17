package b24test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParameterEncodings(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{Deals: 30})
	c := s.Client()
	ep := p.ClientEndpoint()
	multipartReq := func() *http.Request {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.WriteField("auth", tok.AccessToken)
		_ = w.WriteField("id", "7")
		_ = w.Close()
		req, _ := http.NewRequest(http.MethodPost, ep+"crm.deal.get", &b)
		req.Header.Set("Content-Type", w.FormDataContentType())
		return req
	}
	bearer := func() *http.Request {
		req, _ := http.NewRequest(http.MethodGet, ep+"crm.deal.get?id=7", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		return req
	}
	tests := []struct {
		name string
		call func() answer
	}{
		{"GET query", func() answer { return get(t, c, ep+"crm.deal.get?id=7&auth="+tok.AccessToken) }},
		{"GET .json suffix", func() answer { return get(t, c, ep+"crm.deal.get.json?id=7&auth="+tok.AccessToken) }},
		{"POST form", func() answer { return postForm(t, c, ep+"crm.deal.get", "id=7&auth="+tok.AccessToken) }},
		{"POST JSON", func() answer {
			return postJSON(t, c, ep+"crm.deal.get", map[string]any{"id": 7, "auth": tok.AccessToken})
		}},
		{"POST JSON, auth in query, unknown params", func() answer {
			return postJSON(t, c, ep+"crm.deal.get?auth="+tok.AccessToken+"&bx24_request_id=x", map[string]any{"ID": "7"})
		}},
		{"multipart", func() answer { return do(t, c, multipartReq()) }},
		{"Bearer header", func() answer { return do(t, c, bearer()) }},
		{"webhook", func() answer { return get(t, c, p.WebhookURL()+"crm.deal.get.json?id=7") }},
		{"webhook with another Host", func() answer {
			req, _ := http.NewRequest(http.MethodGet, p.WebhookURL()+"crm.deal.get?id=7", nil)
			req.Host = "whatever.example"
			return do(t, c, req)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustOK(t, tt.call())
			if got := object(a.body["result"])["ID"]; got != "7" {
				t.Errorf("result.ID = %v, want \"7\"", got)
			}
		})
	}
}

func TestEnvelopeTimeBlock(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s := NewTestServer(t, Options{Now: clk.Now, Cost: Cost{PerCall: 0}})
	p := s.Portals()[0]
	a := mustOK(t, hookCall(t, s, p, "server.time", nil))
	tb := object(a.body["time"])
	for _, k := range []string{"start", "finish", "duration", "processing", "operating", "operating_reset_at", "date_start", "date_finish"} {
		if _, ok := tb[k]; !ok {
			t.Errorf("time block lacks %q: %s", k, a.raw)
		}
	}
	if got, want := tb["date_start"], "2025-03-10T14:00:00+02:00"; got != want {
		t.Errorf("date_start = %v, want %v (portal zone)", got, want)
	}
	if got := tb["operating_reset_at"].(interface{ String() string }).String(); got != "1741608600" {
		t.Errorf("operating_reset_at = %s, want start + 600 s", got)
	}
	if a.body["result"] != "2025-03-10T14:00:00+02:00" {
		t.Errorf("server.time = %v", a.body["result"])
	}
}

func TestAuthErrors(t *testing.T) {
	t.Parallel()
	clk := newClock()
	s, p, tok := installed(t, Options{Now: clk.Now, TokenLifetime: time.Minute})
	c := s.Client()
	ep := p.ClientEndpoint()
	fresh, _ := p.IssueTokens(2)
	webhookURL := p.WebhookURL()
	tests := []struct {
		name       string
		call       func() answer
		status     int
		code, desc string
	}{
		{"no auth", func() answer { return get(t, c, ep+"crm.deal.list") }, 401, "NO_AUTH_FOUND", "Wrong authorization data"},
		{"bad webhook secret", func() answer { return get(t, c, s.URL+"/rest/1/nope/crm.deal.list") }, 401, "NO_AUTH_FOUND", ""},
		{"webhook of another user id", func() answer {
			return get(t, c, strings.Replace(webhookURL, "/rest/1/", "/rest/2/", 1)+"crm.deal.list")
		}, 401, "NO_AUTH_FOUND", ""},
		{"unknown token", func() answer { return get(t, c, ep+"crm.deal.list?auth=deadbeef") }, 401, "invalid_token", ""},
		{"unknown method", func() answer { return get(t, c, ep+"crm.nothing.here?auth="+fresh.AccessToken) }, 404, "ERROR_METHOD_NOT_FOUND", "Method not found!"},
		{"missing scope", func() answer { return get(t, c, ep+"user.current?auth="+fresh.AccessToken) }, 200, "", ""},
		{"webhook placement.bind", func() answer {
			return get(t, c, webhookURL+"placement.bind?PLACEMENT=CRM_DEAL_DETAIL_TAB&HANDLER=http://x.example/")
		}, 403, "WRONG_AUTH_TYPE", ""},
		{"webhook event.bind", func() answer { return get(t, c, webhookURL+"event.bind?event=ONCRMDEALADD&handler=http://x.example/") }, 403, "WRONG_AUTH_TYPE", ""},
		{"webhook app.info", func() answer { return get(t, c, webhookURL+"app.info") }, 400, "ACCESS_DENIED", "Application context required"},
		{"expired token", func() answer {
			clk.Add(2 * time.Minute)
			return get(t, c, ep+"crm.deal.list?auth="+tok.AccessToken)
		}, 401, "expired_token", "The access token provided has expired"},
	}
	for _, tt := range tests {
		a := tt.call()
		if a.status != tt.status || a.errCode() != tt.code {
			t.Errorf("%s: %d %s, want %d %q", tt.name, a.status, a.raw, tt.status, tt.code)
		}
		if tt.desc != "" && a.body["error_description"] != tt.desc {
			t.Errorf("%s: description %v, want %q", tt.name, a.body["error_description"], tt.desc)
		}
	}
}

func TestInsufficientScope(t *testing.T) {
	t.Parallel()
	app := testApp()
	app.Scopes = []string{"crm"}
	s, p, tok := installed(t, Options{App: app})
	a := appCall(t, s, p, tok.AccessToken, "user.current", nil)
	if a.status != http.StatusForbidden || a.errCode() != "insufficient_scope" {
		t.Errorf("user.current without user scope = %d %s", a.status, a.raw)
	}
	a = appCall(t, s, p, tok.AccessToken, "placement.list", nil)
	if a.status != http.StatusForbidden || a.errCode() != "insufficient_scope" {
		t.Errorf("placement.list without placement scope = %d %s", a.status, a.raw)
	}
}

func TestInfoMethods(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{})
	user, _ := p.IssueTokens(2)
	cur := mustOK(t, appCall(t, s, p, user.AccessToken, "user.current", nil))
	if object(cur.body["result"])["ID"] != "2" {
		t.Errorf("user.current = %s", cur.raw)
	}
	if a := mustOK(t, appCall(t, s, p, user.AccessToken, "user.admin", nil)); a.body["result"] != false {
		t.Errorf("user.admin for user 2 = %s", a.raw)
	}
	if a := mustOK(t, appCall(t, s, p, tok.AccessToken, "profile", nil)); object(a.body["result"])["ADMIN"] != true {
		t.Errorf("profile of admin = %s", a.raw)
	}
	info := object(mustOK(t, appCall(t, s, p, tok.AccessToken, "app.info", nil)).body["result"])
	if info["INSTALLED"] != true || info["CODE"] != "local.local.test" {
		t.Errorf("app.info = %v", info)
	}
	users := mustOK(t, appCall(t, s, p, tok.AccessToken, "user.get", map[string]any{"FILTER": map[string]any{"ID": 3}}))
	if l := list(users.body["result"]); len(l) != 1 || object(l[0])["ID"] != "3" {
		t.Errorf("user.get ID=3 = %s", users.raw)
	}
	sc := mustOK(t, appCall(t, s, p, tok.AccessToken, "scope", nil))
	if got := len(list(sc.body["result"])); got != 3 {
		t.Errorf("scope = %s, want the app's 3 scopes", sc.raw)
	}
	mg := mustOK(t, appCall(t, s, p, tok.AccessToken, "method.get", map[string]any{"name": "crm.deal.list"}))
	if object(mg.body["result"])["isExisting"] != true {
		t.Errorf("method.get = %s", mg.raw)
	}
}
