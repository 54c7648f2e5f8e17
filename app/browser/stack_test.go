package browser

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/devstack"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

// stack is Trail installed on emulated portals, the way `trail dev` runs
// it, with a database of the test's own.
type stack struct {
	*devstack.Stack
	db *db.DB
}

func newStack(t *testing.T, emu b24test.Options) *stack {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	dbURL := dbtest.NewURL(t)
	entry, err := secret.NewKeyEntry("t1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.ParseKeyRing(entry)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		Env: config.Development, DatabaseURL: dbURL, DirectDatabaseURL: dbURL, BaseURL: base,
		ClientID: "local.trail.browser", ClientSecret: "browser-secret", Keys: keys,
		BodyLimit: 1 << 20, ShutdownTimeout: 2 * time.Second, DBMaxConns: 10, // short: Chrome keeps preconnected sockets open
		APILogRetention: 72 * time.Hour, LogFormat: "text", LogLevel: "warn",
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := devstack.Start(context.Background(), devstack.Config{Trail: cfg, Listener: ln, Emulator: emu, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	d, err := db.Open(context.Background(), dbURL, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.Install(ctx); err != nil {
		t.Fatal(err)
	}
	if err := devstack.WaitBaseline(ctx, d, s.Emu); err != nil {
		t.Fatal(err)
	}
	return &stack{Stack: s, db: d}
}

// portalURL is a page of the i-th portal (0-based) as a person opens it.
func (s *stack) portalURL(i int, path string) string {
	return "http://" + s.Emu.Portals()[i].Domain() + path
}

func (s *stack) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.db.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// eventually polls ok for up to a minute: the machine may be slow and
// busy, so the tests wait for conditions, never for fixed times.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
