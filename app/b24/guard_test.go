package b24

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A portal that answers with a redirect to another host does not get its
// token carried there.
func TestRedirectToAnotherHostRefused(t *testing.T) {
	var reached atomic.Int32
	var sawToken atomic.Bool
	elsewhere := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		b, _ := io.ReadAll(r.Body)
		sawToken.Store(strings.Contains(string(b), "access-0") || strings.Contains(r.URL.String(), "secret"))
		writeJSON(w, 200, map[string]any{"result": map[string]any{"ID": "1"}})
	}))
	portal := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	for name, creds := range map[string]Credentials{
		"oauth":   OAuth{Portal: "m1", Store: storeWith("m1", Token{AccessToken: "access-0", ClientEndpoint: portal + "/rest/"})},
		"webhook": Webhook{URL: portal + "/rest/1/secret/"},
	} {
		t.Run(name, func(t *testing.T) {
			opts := fastOptions()
			opts.RefreshBefore = -1
			_, err := New(creds, opts).Call(context.Background(), "user.current", nil)
			var e *Error
			if !errors.Is(err, ErrRedirect) || !errors.As(err, &e) || e.Status != http.StatusTemporaryRedirect {
				t.Fatalf("err = %v, want ErrRedirect", err)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "access-0") {
				t.Errorf("error leaks the token: %v", err)
			}
			if n := reached.Load(); n != 0 || sawToken.Load() {
				t.Errorf("the other host got %d requests (token seen: %v)", n, sawToken.Load())
			}
		})
	}
}

func storeWith(key string, tok Token) *MemoryTokenStore {
	s := &MemoryTokenStore{}
	s.Save(key, tok)
	return s
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSameOrigin(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"https://p.bitrix24.com/rest/x", "https://p.bitrix24.com/rest/y", true},
		{"https://p.bitrix24.com/rest/x", "https://P.Bitrix24.com:443/rest/y", true},
		{"http://p.localhost:8024/rest/", "http://p.localhost:8024/other/", true},
		{"https://p.bitrix24.com/rest/", "http://p.bitrix24.com/rest/", false},
		{"https://p.bitrix24.com/rest/", "https://p.bitrix24.com:8443/rest/", false},
		{"https://p.bitrix24.com/rest/", "https://evil.example/rest/", false},
		{"https://p.bitrix24.com/rest/", "https://p.bitrix24.com.evil.example/rest/", false},
	} {
		a, b := mustURL(t, c.a), mustURL(t, c.b)
		if got := sameOrigin(a, b); got != c.same {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", c.a, c.b, got, c.same)
		}
	}
}

// An answer larger than MaxAnswerBytes is refused, whether or not its size
// was announced, and is not retried.
func TestAnswerSizeCapped(t *testing.T) {
	for name, chunked := range map[string]bool{"announced": false, "chunked": true} {
		t.Run(name, func(t *testing.T) {
			var requests atomic.Int32
			portal := httptestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.Header().Set("Content-Type", "application/json")
				if !chunked {
					w.Header().Set("Content-Length", strconv.Itoa(MaxAnswerBytes+100))
				}
				_, _ = io.WriteString(w, `{"result":"`)
				chunk := strings.Repeat("x", 64<<10)
				for n := 0; n <= MaxAnswerBytes; n += len(chunk) {
					if _, err := io.WriteString(w, chunk); err != nil {
						return
					}
				}
			}))
			_, err := New(Webhook{URL: portal + "/rest/1/secret/"}, fastOptions()).Call(context.Background(), "user.current", nil)
			if !errors.Is(err, ErrAnswerTooLarge) {
				t.Fatalf("err = %v, want ErrAnswerTooLarge", err)
			}
			if n := requests.Load(); n != 1 {
				t.Errorf("requests = %d, want 1 (not retried)", n)
			}
		})
	}
}

func TestPublicOnly(t *testing.T) {
	for addr, public := range map[string]bool{
		"8.8.8.8:443":                    true,
		"[2a00:1450:4001:80b::200e]:443": true,
		"127.0.0.1:443":                  false,
		"10.1.2.3:443":                   false,
		"172.16.0.1:443":                 false,
		"192.168.1.1:443":                false,
		"169.254.169.254:80":             false,
		"100.64.0.1:443":                 false,
		"0.0.0.0:443":                    false,
		"[::1]:443":                      false,
		"[fe80::1]:443":                  false,
		"[fdaa::3]:443":                  false,
		"[::ffff:127.0.0.1]:443":         false,
		"[::ffff:10.0.0.1]:443":          false,
		"[::]:443":                       false,
	} {
		err := PublicOnly("tcp", addr, nil)
		if (err == nil) != public {
			t.Errorf("PublicOnly(%s) = %v, want public %v", addr, err, public)
		}
		if err != nil && !errors.Is(err, ErrNonPublicAddress) {
			t.Errorf("PublicOnly(%s) = %v, want ErrNonPublicAddress", addr, err)
		}
	}
}

// With PublicOnly, a portal whose name resolves to loopback is never
// dialled, and the call is not retried.
func TestPublicOnlyRefusesLoopbackPortal(t *testing.T) {
	f := newFakePortal(t, 0)
	d := &net.Dialer{Control: PublicOnly}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = d.DialContext
	opts := fastOptions()
	opts.HTTPClient = &http.Client{Transport: tr}
	rec := &recorder{}
	opts.Observer = rec
	_, err := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, opts).Call(context.Background(), "user.current", nil)
	if !errors.Is(err, ErrNonPublicAddress) || !errors.Is(err, ErrTransport) {
		t.Fatalf("err = %v, want a transport error for a non-public address", err)
	}
	if n := len(f.methods()); n != 0 {
		t.Errorf("the loopback portal got %d requests", n)
	}
	if n := len(rec.all()); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

// MaxWait turns a long wait for the portal's bucket into an immediate
// *WouldWaitError, booking nothing and sending nothing.
func TestMaxWaitBoundsTheBucketWait(t *testing.T) {
	f := newFakePortal(t, 0)
	clk := newClock()
	lim := &MemoryLimiter{Default: Rate{Burst: 2, Drain: 1}, Now: clk.Now}
	c := New(Webhook{URL: f.srv.URL + "/rest/1/secret/"}, Options{Limiter: lim, MaxWait: 100 * time.Millisecond, Now: clk.Now})
	ctx := context.Background()
	if _, err := c.Call(ctx, "user.current", nil); err != nil {
		t.Fatal(err)
	}
	_, err := c.Call(ctx, "user.current", nil)
	d, ok := RetryAfter(err)
	if !errors.Is(err, ErrWouldWait) || !ok || d <= 100*time.Millisecond {
		t.Fatalf("got %v (%v), want a would-wait error beyond MaxWait", err, d)
	}
	if n := len(f.methods()); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}
