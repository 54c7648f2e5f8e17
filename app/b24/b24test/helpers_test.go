package b24test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a hand-moved time source for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testApp is the app most tests install.
func testApp() *App {
	return &App{ClientID: "local.test", ClientSecret: "s3cret", Scopes: []string{"crm", "placement", "user_brief"}, AppURL: "http://app.example/"}
}

// installed starts a server with the test app installed on its portal and
// returns the admin's tokens.
func installed(t *testing.T, opts Options) (*Server, *Portal, Tokens) {
	t.Helper()
	if opts.App == nil {
		opts.App = testApp()
	}
	s := NewTestServer(t, opts)
	p := s.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatalf("Install: %v", err)
	}
	tok, err := p.IssueTokens(p.AdminID())
	if err != nil {
		t.Fatalf("IssueTokens: %v", err)
	}
	return s, p, tok
}

// answer is a decoded response.
type answer struct {
	status int
	body   map[string]any
	raw    string
}

func (a answer) errCode() string { return strString(a.body["error"]) }

func strString(v any) string {
	s, _ := v.(string)
	return s
}

func do(t *testing.T, c *http.Client, req *http.Request) answer {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: string(raw)}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	_ = d.Decode(&a.body)
	return a
}

func get(t *testing.T, c *http.Client, u string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return do(t, c, req)
}

func postForm(t *testing.T, c *http.Client, u, form string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, c, req)
}

func postJSON(t *testing.T, c *http.Client, u string, body any) answer {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return do(t, c, req)
}

// appCall calls a method on the portal host with an OAuth token (JSON).
func appCall(t *testing.T, s *Server, p *Portal, token, method string, params map[string]any) answer {
	t.Helper()
	if params == nil {
		params = map[string]any{}
	}
	params["auth"] = token
	return postJSON(t, s.Client(), p.ClientEndpoint()+method, params)
}

// hookCall calls a method through the admin webhook (JSON).
func hookCall(t *testing.T, s *Server, p *Portal, method string, params map[string]any) answer {
	t.Helper()
	return postJSON(t, s.Client(), p.WebhookURL()+method, params)
}

func mustOK(t *testing.T, a answer) answer {
	t.Helper()
	if a.status != http.StatusOK {
		t.Fatalf("status %d: %s", a.status, a.raw)
	}
	return a
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func object(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func q(s string) string { return url.QueryEscape(s) }

type jsonNumber = json.Number
