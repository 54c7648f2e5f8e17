package b24test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{})
	cases := []struct {
		f      Faults
		status int
		code   string
	}{
		{Faults{PortalDeleted: true}, 500, "PORTAL_DELETED"},
		{Faults{QueryLimitStorm: true}, 503, "QUERY_LIMIT_EXCEEDED"},
		{Faults{ErrorRate: 1}, 500, "INTERNAL_SERVER_ERROR"},
		{Faults{UnavailableRate: 1}, 503, ""},
		{Faults{InvalidToken: true}, 401, "invalid_token"},
		{Faults{}, 200, ""},
	}
	for _, c := range cases {
		p.SetFaults(c.f)
		a := appCall(t, s, p, tok.AccessToken, "server.time", nil)
		if a.status != c.status || a.errCode() != c.code {
			t.Errorf("%+v: %d %s", c.f, a.status, a.raw)
		}
	}
	p.SetFaults(Faults{Delay: 60 * time.Millisecond})
	start := time.Now()
	mustOK(t, appCall(t, s, p, tok.AccessToken, "server.time", nil))
	if el := time.Since(start); el < 60*time.Millisecond {
		t.Errorf("slow portal answered in %v", el)
	}
	p.SetFaults(Faults{HangRate: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.WebhookURL()+"server.time", nil)
	if _, err := s.Client().Do(req); err == nil {
		t.Error("hanging portal answered")
	}
	p.SetFaults(Faults{})
}

func TestControlAPI(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Portals: 2, Deals: 3})
	c := s.Client()
	p := s.Portals()[1]
	base := s.URL + "/_emulator/"
	if r := postJSON(t, c, base+"app", App{ClientID: "cid", ClientSecret: "sec", Scopes: []string{"crm"}}); r.status != http.StatusNoContent {
		t.Fatalf("register app = %d %s", r.status, r.raw)
	}
	if r := postJSON(t, c, base+"portals/"+p.MemberID()+"/install", nil); r.status != 200 || strString(r.body["application_token"]) == "" {
		t.Fatalf("install = %d %s", r.status, r.raw)
	}
	tok := mustOK(t, postJSON(t, c, base+"portals/"+p.Domain()+"/tokens", map[string]int{"user_id": 2}))
	access := strString(tok.body["access_token"])
	mustOK(t, appCall(t, s, p, access, "crm.deal.get", map[string]any{"id": 1}))
	req, _ := http.NewRequest(http.MethodPatch, base+"portals/"+p.MemberID()+"/records/deal/1", strings.NewReader(`{"user_id":0,"fields":{"TITLE":"edited"}}`))
	if r := do(t, c, req); r.status != http.StatusNoContent {
		t.Fatalf("edit = %d %s", r.status, r.raw)
	}
	if d, _ := p.Record("deal", 1); d["TITLE"] != "edited" {
		t.Errorf("record after edit = %v", d["TITLE"])
	}
	if r := postJSON(t, c, base+"portals/"+p.MemberID()+"/tokens/expire", nil); r.status != http.StatusNoContent {
		t.Fatalf("expire = %d", r.status)
	}
	if a := appCall(t, s, p, access, "crm.deal.get", map[string]any{"id": 1}); a.errCode() != "expired_token" {
		t.Errorf("after expire: %s", a.raw)
	}
	st := mustOK(t, get(t, c, base+"portals/"+p.MemberID()+"/stats"))
	if st.body["requests"] == nil {
		t.Errorf("stats = %s", st.raw)
	}
	ps := mustOK(t, get(t, c, base+"portals"))
	if !strings.Contains(ps.raw, `"webhook_url"`) || !strings.Contains(ps.raw, "portal-2.localhost") {
		t.Errorf("portals = %s", ps.raw)
	}
}

func TestRunCommand(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut strings.Builder
	done := make(chan error, 1)
	pr := &lineWriter{lines: make(chan string, 10)}
	go func() {
		done <- RunCommand(ctx, []string{"--addr", "127.0.0.1:0", "--portals", "2", "--deals", "5", "--cost-off", "--client-id", "c", "--client-secret", "s", "--install"}, pr, &errOut)
	}()
	first := <-pr.lines
	second := <-pr.lines
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out.WriteString(first + second)
	for _, k := range []string{`"domain":"portal-1.localhost:`, `"member_id":`, `"webhook_url":`, `"client_endpoint":`, `"admin_id":1`, `"user_ids":[1,2,3,4,5,6]`, `"server_endpoint":"http://oauth.localhost:`} {
		if !strings.Contains(out.String(), k) {
			t.Errorf("output lacks %s: %s", k, out.String())
		}
	}
}

// lineWriter hands each written line to a channel.
type lineWriter struct{ lines chan string }

func (w *lineWriter) Write(b []byte) (int, error) {
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if l != "" {
			w.lines <- l
		}
	}
	return len(b), nil
}
