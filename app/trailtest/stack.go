// Package trailtest stands up Trail and the Bitrix24 emulator in-process on
// loopback for the end-to-end tests, the browser tests and the benchmarks,
// with a database of the test's own, and reads Trail's state back in the
// words of the domain.
package trailtest

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
	"github.com/trailhq/trail/app/devstack"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

// Options vary a stack.
type Options struct {
	// Emulator configures the portals; its App is Trail's registration.
	Emulator b24test.Options
	// NoWorkers runs Trail's HTTP server only: the test works the jobs
	// itself, or starts a worker in another process (StartWorker).
	NoWorkers bool
	// Log receives Trail's log at LogLevel (default: the test log at warn).
	Log      io.Writer
	LogLevel slog.Level
	// App adjusts how Trail is registered with the emulated marketplace
	// (given Trail's base URL).
	App func(a *b24test.App, base string)
	// Config adjusts Trail's configuration before it starts.
	Config func(c *config.Config)
	// DatabaseURL is Trail's database; default a migrated one of the
	// test's own (dbtest.NewURL).
	DatabaseURL string
}

// Stack is Trail running against the emulator, both in-process on
// loopback, with a database of the test's own.
type Stack struct {
	Emu *b24test.Server
	DB  *db.DB
	// Base is Trail's base URL.
	Base string
	// Metrics is the private metrics port's base URL.
	Metrics string
	// Config is the configuration Trail runs with.
	Config *config.Config
	// Key is the ENCRYPTION_KEY entry, for a worker in another process.
	Key string

	dev *devstack.Stack
}

// New starts a stack for the test, or fails it; the stack stops when the
// test ends.
func New(tb testing.TB, o Options) *Stack {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	dbURL := o.DatabaseURL
	if dbURL == "" {
		dbURL = dbtest.NewURL(tb)
	}
	cfg, key, err := devstack.LocalConfig(base, dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.MetricsPort = freePort(tb)
	if o.Config != nil {
		o.Config(cfg)
	}
	w, level := o.Log, o.LogLevel
	if w == nil {
		w, level = testWriter{tb}, slog.LevelWarn
	}
	var app func(*b24test.App)
	if o.App != nil {
		app = func(a *b24test.App) { o.App(a, base.String()) }
	}
	dev, err := devstack.Start(context.Background(), devstack.Config{
		Trail: cfg, Listener: ln, Emulator: o.Emulator, App: app, NoWorkers: o.NoWorkers,
		Log: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = dev.Close() })
	d, err := db.Open(context.Background(), dbURL, 4)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(d.Close)
	s := &Stack{
		Emu: dev.Emu, DB: d, Base: dev.Base, Metrics: "http://127.0.0.1:" + strconv.Itoa(cfg.MetricsPort),
		Config: dev.Trail, Key: key, dev: dev,
	}
	Eventually(tb, "Trail answering", func() bool {
		select {
		case <-dev.Stopped():
			tb.Fatalf("Trail stopped: %v", dev.Err())
		default:
		}
		resp, err := http.Get(s.Base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// Stop stops Trail gracefully, waiting for requests and jobs in flight,
// then the emulator, and returns Trail's exit error.
func (s *Stack) Stop() error { return s.dev.Close() }

// InstallAll installs Trail on every portal, as each administrator would,
// and waits until every portal's baseline is copied.
func (s *Stack) InstallAll(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.dev.Install(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := devstack.WaitBaseline(ctx, s.DB, s.Emu); err != nil {
		tb.Fatal(err)
	}
}

// Install installs Trail on the portal and returns the installation's id
// once it is active and its baseline copied.
func (s *Stack) Install(tb testing.TB, p *b24test.Portal) int64 {
	tb.Helper()
	if _, err := p.Install(); err != nil {
		tb.Fatal(err)
	}
	return s.Installed(tb, p)
}

// freePort returns a port nothing listens on at the moment.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.tb.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// Buffer collects log output written from many goroutines.
type Buffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
