package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/app/server"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

// stack is Trail running against the emulator, both in-process on loopback.
type stack struct {
	emu     *b24test.Server
	db      *db.DB
	base    string
	metrics string // the private metrics port's base URL
	cfg     *config.Config
	key     string // ENCRYPTION_KEY, for a worker in another process
	stop    context.CancelFunc
	done    chan error
}

// stackOpts vary the Trail side of a stack.
type stackOpts struct {
	// Log receives Trail's log at LogLevel (default: the test log at warn).
	Log      io.Writer
	LogLevel slog.Level
	// NoWorkers runs the HTTP server only: the test runs workers itself.
	NoWorkers bool
	// App adjusts how Trail is registered with the emulated marketplace
	// (given Trail's base URL).
	App func(a *b24test.App, base string)
	// Config adjusts Trail's configuration before it starts.
	Config func(c *config.Config)
}

func newStack(t testing.TB, opts b24test.Options) *stack {
	return newStackWith(t, opts, stackOpts{})
}

func newStackWith(t testing.TB, opts b24test.Options, so stackOpts) *stack {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	opts.App = &b24test.App{
		ClientID: "local.trail.test", ClientSecret: "test-secret",
		Scopes:            []string{"crm", "placement", "user_brief"},
		AppURL:            base + "/bitrix/app",
		InstallHandlerURL: base + "/bitrix/install",
	}
	if so.App != nil {
		so.App(opts.App, base)
	}
	emu, err := b24test.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Close)

	dbURL := dbtest.NewURL(t)
	keyEntry, err := secret.NewKeyEntry("t1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.ParseKeyRing(keyEntry)
	if err != nil {
		t.Fatal(err)
	}
	baseURL, _ := url.Parse(base)
	oauth := strings.TrimSuffix(emu.OAuthTokenURL(), "/oauth/token/")
	cfg := &config.Config{
		Env: config.Development, DatabaseURL: dbURL, DirectDatabaseURL: dbURL, BaseURL: baseURL,
		ClientID: "local.trail.test", ClientSecret: "test-secret", Keys: keys, OAuthURL: oauth,
		BodyLimit: 1 << 20, ShutdownTimeout: 10 * time.Second, DBMaxConns: 10,
		APILogRetention: 72 * time.Hour, LogFormat: "text", LogLevel: "info",
		MetricsPort: freePort(t),
	}
	if so.Config != nil {
		so.Config(cfg)
	}
	d, err := db.Open(context.Background(), dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	ctx, cancel := context.WithCancel(context.Background())
	s := &stack{emu: emu, db: d, base: base, metrics: "http://127.0.0.1:" + strconv.Itoa(cfg.MetricsPort), cfg: cfg, key: keyEntry, stop: cancel, done: make(chan error, 1)}
	w, level := so.Log, so.LogLevel
	if w == nil {
		w, level = testWriter{t}, slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	go func() { s.done <- server.Run(ctx, cfg, log, server.Mode{HTTP: true, Workers: !so.NoWorkers}, ln) }()
	t.Cleanup(func() { cancel(); <-s.done })
	return s
}

// freePort returns a port nothing listens on at the moment.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// syncBuffer collects log output written from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *stack) count(t testing.TB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.db.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// portalID waits for the portal's installation to be active and synced,
// and returns its id.
func (s *stack) installed(t testing.TB, p *b24test.Portal) int64 {
	t.Helper()
	var id int64
	eventually(t, "installation of "+p.MemberID(), func() bool {
		return s.db.Pool.QueryRow(context.Background(), `SELECT i.id FROM installations i
			WHERE i.member_id = $1 AND i.status = 'active'
			AND (SELECT count(*) FROM sync_state WHERE portal_id = i.id AND state = 'done') = 4`, p.MemberID()).Scan(&id) == nil
	})
	return id
}

// post sends a form body to one of Trail's handlers and returns the status.
func (s *stack) post(t testing.TB, path string, form url.Values) int {
	t.Helper()
	resp, err := http.PostForm(s.base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func eventually(t testing.TB, what string, ok func() bool) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(90 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("%s after %s", what, time.Since(start).Round(time.Millisecond))
}
