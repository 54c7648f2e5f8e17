package server_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db/dbtest"
)

// proxy sits between Trail and PostgreSQL so a test can take the database
// away (every connection cut, new ones refused) and bring it back, or slow it.
type proxy struct {
	ln     net.Listener
	target string
	down   atomic.Bool
	delay  atomic.Int64 // ns added before forwarding each client chunk
	mu     sync.Mutex
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.down.Load() {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go func() {
			buf := make([]byte, 32<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					time.Sleep(time.Duration(p.delay.Load()))
					if _, werr := s.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			s.Close()
		}()
		go func() { io.Copy(c, s); c.Close() }()
	}
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) url(t *testing.T, dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = p.ln.Addr().String()
	return u.String()
}

// start runs Trail on dbURL, with workers or without, and the config
// tweak.
func start(t *testing.T, dbURL string, workers bool, tweak func(*config.Config)) *stack {
	t.Helper()
	return newStack(t, trailtest.Options{DatabaseURL: dbURL, NoWorkers: !workers, Config: func(c *config.Config) {
		c.DBMaxConns = 4
		if tweak != nil {
			tweak(c)
		}
	}})
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestReadyzFollowsTheDatabase(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.NewURL(t)
	p := newProxy(t, mustHost(t, dbURL))
	r := start(t, p.url(t, dbURL), true, nil)

	if code, body := get(t, r.Base+"/readyz"); code != 200 {
		t.Fatalf("readyz with a migrated database = %d %q", code, body)
	}
	p.down.Store(true)
	p.cut()
	code, body := get(t, r.Base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "database unreachable") {
		t.Fatalf("readyz with the database down = %d %q, want 503 database unreachable", code, body)
	}
	if code, _ := get(t, r.Base+"/healthz"); code != 200 {
		t.Fatalf("healthz must stay 200 while the database is down, got %d", code)
	}
	p.down.Store(false)
	trailtest.Eventually(t, "ready again", func() bool { code, _ := get(t, r.Base+"/readyz"); return code == 200 })
}

func TestReadyzWantsMigrations(t *testing.T) {
	t.Parallel()
	r := start(t, dbtest.Empty(t), false, nil) // workers need River's tables
	code, body := get(t, r.Base+"/readyz")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("readyz on an unmigrated database = %d %q, want 503", code, body)
	}
}

// A request in flight when the shutdown signal comes still gets its answer.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	t.Parallel()
	dbURL := dbtest.NewURL(t)
	p := newProxy(t, mustHost(t, dbURL))
	r := start(t, p.url(t, dbURL), true, nil)

	p.delay.Store(int64(300 * time.Millisecond)) // /readyz now takes ~1 s
	type result struct {
		code int
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get(r.Base + "/readyz")
		if err != nil {
			res <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{code: resp.StatusCode, body: string(b)}
	}()
	time.Sleep(150 * time.Millisecond) // let the request reach the handler
	stopped := r.Stop()
	got := <-res
	if got.err != nil || got.code != 200 || got.body != "ready" {
		t.Fatalf("in-flight request during shutdown: %d %q %v", got.code, got.body, got.err)
	}
	if stopped != nil {
		t.Fatalf("Run returned %v after a graceful stop", stopped)
	}
	if _, err := http.Get(r.Base + "/healthz"); err == nil {
		t.Fatal("the server still accepts connections after shutdown")
	}
}

func mustHost(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// The River UI is for operators only: behind basic auth, off without a password.
func TestRiverUIBehindBasicAuth(t *testing.T) {
	t.Parallel()
	r := start(t, dbtest.NewURL(t), false, func(c *config.Config) { c.OperatorPassword = "s3cret-op" })
	if code, _ := get(t, r.Base+"/ops/riverui/"); code != http.StatusUnauthorized {
		t.Fatalf("River UI without credentials = %d, want 401", code)
	}
	req, _ := http.NewRequest("GET", r.Base+"/ops/riverui/api/queues", nil)
	req.SetBasicAuth("operator", "s3cret-op")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "data") {
		t.Fatalf("River UI API with credentials = %d %q", resp.StatusCode, b)
	}
	req.SetBasicAuth("operator", "wrong")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password = %d", resp.StatusCode)
	}
}
