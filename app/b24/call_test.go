package b24

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fastOptions keep tests quick: a bucket too large to matter and short
// backoffs.
func fastOptions() Options {
	return Options{
		OperatingBackoff: time.Millisecond,
		Limiter:          NewMemoryLimiter(Rate{Burst: 10000, Drain: 10000}),
		BackoffBase:      time.Millisecond,
		BackoffMax:       5 * time.Millisecond,
	}
}

type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) Observe(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func (r *recorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

func TestWebhookCall(t *testing.T) {
	f := newFakePortal(t, 0)
	rec := &recorder{}
	opts := fastOptions()
	opts.Observer = rec
	c := New(Webhook{URL: f.srv.URL + "/rest/1/secret"}, opts)
	u, err := c.CurrentUser(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != 1 || u.Name != "Ann" || len(u.Departments) != 1 {
		t.Errorf("user = %+v", u)
	}
	ev := rec.all()
	if len(ev) != 1 || ev[0].Method != "user.current" || ev[0].Status != 200 || ev[0].Attempt != 1 || ev[0].Time == nil {
		t.Errorf("events = %+v", ev)
	}
	if s := fmt.Sprintf("%+v", ev); strings.Contains(s, "secret") {
		t.Errorf("event leaks the webhook secret: %s", s)
	}

	bad := New(Webhook{URL: f.srv.URL + "/rest/1/wrong/"}, fastOptions())
	_, err = bad.CurrentUser(context.Background())
	if !errors.Is(err, ErrInvalidToken) || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong webhook: %v", err)
	}
}

func TestLegacyNotFound(t *testing.T) {
	f := newFakePortal(t, 0)
	c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, fastOptions())
	_, err := c.CRMGet(context.Background(), "deal", 999)
	var e *Error
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &e) || e.Status != 400 || e.Code != "" {
		t.Fatalf("got %v", err)
	}
	if len(f.methods()) != 1 {
		t.Errorf("a not-found was retried: %v", f.methods())
	}
}

func oauthClient(f *fakePortal, store TokenStore, opts Options) *Client {
	return New(OAuth{Portal: "m1", ClientID: "app", ClientSecret: "app-secret", Store: store}, opts)
}

func TestOAuthRefreshOnExpiredToken(t *testing.T) {
	f := newFakePortal(t, 0)
	store := &MemoryTokenStore{}
	tok := f.token()
	tok.AccessToken = "dead"
	store.Save("m1", tok)
	rec := &recorder{}
	opts := fastOptions()
	opts.Observer = rec
	c := oauthClient(f, store, opts)
	if _, err := c.CurrentUser(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.refreshes != 1 {
		t.Errorf("refreshes = %d", f.refreshes)
	}
	got, _ := store.Load(context.Background(), "m1")
	if got.AccessToken != "access-1" || got.RefreshToken != "refresh-1" || got.Expires.IsZero() {
		t.Errorf("stored token = %v", got)
	}
	var methods []string
	for _, e := range rec.all() {
		methods = append(methods, fmt.Sprintf("%s/%d", e.Method, e.Status))
		if s := fmt.Sprintf("%+v", e); strings.Contains(s, "refresh-0") || strings.Contains(s, "app-secret") || strings.Contains(s, "access-1") {
			t.Errorf("event leaks a secret: %s", s)
		}
	}
	if want := "user.current/401 oauth.token/200 user.current/200"; strings.Join(methods, " ") != want {
		t.Errorf("requests = %v, want %s", methods, want)
	}
}

func TestOAuthRefreshBeforeExpiry(t *testing.T) {
	f := newFakePortal(t, 0)
	store := &MemoryTokenStore{}
	tok := f.token()
	tok.Expires = time.Now().Add(10 * time.Second)
	store.Save("m1", tok)
	c := oauthClient(f, store, fastOptions())
	if _, err := c.CurrentUser(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.refreshes != 1 || strings.Join(f.methods(), " ") != "user.current" {
		t.Errorf("refreshes = %d, requests %v", f.refreshes, f.methods())
	}
}

func TestOAuthRefreshOnceUnderContention(t *testing.T) {
	f := newFakePortal(t, 0)
	store := &MemoryTokenStore{}
	tok := f.token()
	tok.AccessToken = "dead"
	store.Save("m1", tok)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 50 {
		wg.Go(func() {
			c := oauthClient(f, store, fastOptions()) // separate clients, shared store
			if _, err := c.CurrentUser(context.Background()); err != nil {
				t.Error(err)
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if f.refreshes != 1 || failed.Load() != 0 {
		t.Errorf("refreshes = %d, failed = %d", f.refreshes, failed.Load())
	}
}

func TestOAuthInvalidGrantNeedsReauth(t *testing.T) {
	f := newFakePortal(t, 0)
	store := &MemoryTokenStore{}
	tok := f.token()
	tok.AccessToken, tok.RefreshToken = "dead", "revoked"
	store.Save("m1", tok)
	c := oauthClient(f, store, fastOptions())
	_, err := c.CurrentUser(context.Background())
	if !errors.Is(err, ErrReauthRequired) {
		t.Fatalf("got %v", err)
	}
	if strings.Contains(err.Error(), "revoked") {
		t.Errorf("error leaks the refresh token: %v", err)
	}
	n := len(f.methods())
	_, err = oauthClient(f, store, fastOptions()).CurrentUser(context.Background())
	if !errors.Is(err, ErrReauthRequired) || len(f.methods()) != n {
		t.Errorf("second call: %v after %d more requests", err, len(f.methods())-n)
	}
}

// failFirst answers the first n requests of a method with status and code.
func failFirst(f *fakePortal, method string, n int, status int, code string) *atomic.Int32 {
	var seen atomic.Int32
	f.hook = func(w http.ResponseWriter, m string, _ url.Values) bool {
		if m != method || int(seen.Add(1)) > n {
			return false
		}
		writeJSON(w, status, map[string]string{"error": code, "error_description": "injected"})
		return true
	}
	return &seen
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		status    int
		code      string
		opts      []CallOption
		wantErr   error
		wantTries int
	}{
		{"rate limited read", "user.current", 503, "QUERY_LIMIT_EXCEEDED", nil, nil, 3},
		{"rate limited write is safe", "crm.deal.add", 503, "QUERY_LIMIT_EXCEEDED", nil, ErrNotFound, 3},
		{"time limited", "user.current", 429, "OPERATION_TIME_LIMIT", nil, nil, 3},
		{"server error read", "user.current", 500, "INTERNAL_SERVER_ERROR", nil, nil, 3},
		{"server error write", "crm.deal.add", 500, "INTERNAL_SERVER_ERROR", nil, ErrServer, 1},
		{"server error idempotent write", "crm.deal.add", 500, "INTERNAL_SERVER_ERROR", []CallOption{Idempotent(true)}, ErrNotFound, 3},
		{"not retried", "user.current", 403, "insufficient_scope", nil, ErrInsufficientScope, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakePortal(t, 0)
			tries := failFirst(f, tt.method, 2, tt.status, tt.code)
			opts := fastOptions()
			opts.OperatingBackoff = time.Millisecond
			c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, opts)
			_, err := c.Call(context.Background(), tt.method, nil, tt.opts...)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if got := int(tries.Load()); got != tt.wantTries {
				t.Errorf("requests = %d, want %d", got, tt.wantTries)
			}
		})
	}
}

func TestTransportFailureRetried(t *testing.T) {
	f := newFakePortal(t, 0)
	var n atomic.Int32
	f.hook = func(w http.ResponseWriter, m string, _ url.Values) bool {
		if n.Add(1) > 2 {
			return false
		}
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
		return true
	}
	c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, fastOptions())
	if _, err := c.CurrentUser(context.Background()); err != nil {
		t.Fatal(err)
	}
	n.Store(0)
	_, err := c.Call(context.Background(), "crm.deal.add", Params{"fields": Params{"TITLE": "x"}})
	if !errors.Is(err, ErrTransport) || n.Load() != 1 {
		t.Errorf("write after a lost answer: %v after %d requests", err, n.Load())
	}
}

func TestDeadlineBoundsRetries(t *testing.T) {
	f := newFakePortal(t, 0)
	failFirst(f, "user.current", 1000, 503, "QUERY_LIMIT_EXCEEDED")
	opts := fastOptions()
	opts.BackoffBase, opts.BackoffMax = time.Second, time.Second
	c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.CurrentUser(ctx)
	if !errors.Is(err, ErrRateLimited) {
		t.Fatalf("got %v, want the rate-limit error rather than a context error", err)
	}
	if ctx.Err() != nil {
		t.Error("the call used up its context instead of giving up early")
	}
}

func TestNoWait(t *testing.T) {
	f := newFakePortal(t, 0)
	clk := newClock()
	lim := &MemoryLimiter{Default: Rate{Burst: 2, Drain: 1}, Now: clk.Now}
	c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, Options{Limiter: lim})
	ctx := context.Background()
	if _, err := c.Call(ctx, "user.current", nil, NoWait()); err != nil {
		t.Fatal(err)
	}
	_, err := c.Call(ctx, "user.current", nil, NoWait())
	d, ok := RetryAfter(err)
	if !errors.Is(err, ErrWouldWait) || !ok || d != Slack {
		t.Fatalf("got %v (%v)", err, d)
	}
	if n := len(f.methods()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestRedirectRepeatsPost(t *testing.T) {
	f := newFakePortal(t, 0)
	// The portal moved its REST root within its own origin.
	moved := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/old/"); ok {
			http.Redirect(w, r, "/rest/"+rest, http.StatusFound)
			return
		}
		f.ServeHTTP(w, r)
	}))
	c := New(Webhook{URL: moved + "/old/1/secret/"}, fastOptions())
	resp, err := c.Call(context.Background(), "echo", Params{"a": "b"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(resp.Result), `"a":["b"]`) {
		t.Errorf("body lost on redirect: %s", resp.Result)
	}
}
