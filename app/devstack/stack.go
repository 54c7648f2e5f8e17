// Package devstack runs Trail next to the Bitrix24 emulator in one process:
// the emulator's portals, with Trail registered as their marketplace app,
// and Trail's web server and workers talking to them. `trail dev` uses it to
// show the product on a laptop; the browser tests use it to drive the same
// pages a person would.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/app/server"
)

// Config says what to start.
type Config struct {
	// Trail is Trail's configuration. Start copies it and points its OAuth
	// server at the emulator; Env must be development so that Trail dials
	// the emulator's *.localhost hosts at loopback.
	Trail *config.Config
	// Listener is Trail's listener; nil listens on Trail.Port.
	Listener net.Listener
	// Emulator configures the portals; its App is filled in from Trail's
	// credentials and base URL.
	Emulator b24test.Options
	// Scopes are the app's scopes; default crm, placement, user_brief.
	Scopes []string
	// App adjusts the app's registration (filled in as above) before the
	// emulator starts: an installer page, a redirect URI.
	App func(a *b24test.App)
	// NoWorkers runs Trail's HTTP server only; the job workers run
	// elsewhere (another process, or a test working jobs itself).
	NoWorkers bool
	Log       *slog.Logger
	// Run runs Trail with cfg on ln until ctx ends; default server.Run in
	// this process (a benchmark runs Trail as processes of its own).
	Run func(ctx context.Context, cfg *config.Config, ln net.Listener) error
}

// Stack is a running emulator with Trail registered and running.
type Stack struct {
	Emu *b24test.Server
	// Base is Trail's base URL as the portals call it.
	Base string
	// Trail is the configuration Trail runs with.
	Trail *config.Config

	cancel  context.CancelFunc
	stopped chan struct{} // closed when Trail has stopped
	err     error         // Trail's exit error, set before stopped closes
	emuOnce sync.Once
}

// LocalConfig is Trail's configuration for a stack on this machine: base
// is where Trail listens, databaseURL its (migrated) database. It seals
// tokens with a new key, whose ENCRYPTION_KEY entry it returns for a
// worker started in another process.
func LocalConfig(base *url.URL, databaseURL string) (*config.Config, string, error) {
	entry, err := secret.NewKeyEntry("local")
	if err != nil {
		return nil, "", err
	}
	keys, err := secret.ParseKeyRing(entry)
	if err != nil {
		return nil, "", err
	}
	return &config.Config{
		Env: config.Development, DatabaseURL: databaseURL, DirectDatabaseURL: databaseURL, BaseURL: base,
		ClientID: "local.trail", ClientSecret: "local-secret", Keys: keys,
		BodyLimit: 1 << 20, ShutdownTimeout: 10 * time.Second, DBMaxConns: 10,
		APILogRetention: 72 * time.Hour, LogFormat: "text", LogLevel: "warn",
	}, entry, nil
}

// Start starts the emulator, registers Trail as its app and starts Trail
// (HTTP and, unless NoWorkers, workers). It does not install the app
// anywhere: see Install.
func Start(ctx context.Context, c Config) (*Stack, error) {
	if c.Trail.Env != config.Development {
		return nil, errors.New("devstack: Trail must run with APP_ENV=development to reach the emulator's hosts")
	}
	ln := c.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", fmt.Sprintf(":%d", c.Trail.Port)); err != nil {
			return nil, fmt.Errorf("devstack: listen: %w", err)
		}
	}
	base := strings.TrimRight(c.Trail.BaseURL.String(), "/")
	scopes := c.Scopes
	if len(scopes) == 0 {
		scopes = []string{"crm", "placement", "user_brief"}
	}
	opts := c.Emulator
	opts.App = &b24test.App{
		ClientID: c.Trail.ClientID, ClientSecret: c.Trail.ClientSecret, Code: "trail",
		Scopes: scopes, AppURL: base + "/bitrix/app", InstallHandlerURL: base + "/bitrix/install",
	}
	if c.App != nil {
		c.App(opts.App)
	}
	emu, err := b24test.NewServer(opts)
	if err != nil {
		ln.Close()
		return nil, err
	}
	cfg := *c.Trail
	cfg.OAuthURL = strings.TrimSuffix(emu.OAuthTokenURL(), "/oauth/token/")

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Stack{Emu: emu, Base: base, Trail: &cfg, cancel: cancel, stopped: make(chan struct{})}
	run := c.Run
	if run == nil {
		run = func(ctx context.Context, cfg *config.Config, ln net.Listener) error {
			return server.Run(ctx, cfg, c.Log, server.Mode{HTTP: true, Workers: !c.NoWorkers}, ln)
		}
	}
	go func() {
		s.err = run(runCtx, &cfg, ln)
		close(s.stopped)
	}()
	return s, nil
}

// Stopped is closed when Trail has stopped, on its own or by Close; Err
// then says why.
func (s *Stack) Stopped() <-chan struct{} { return s.stopped }

// Err waits for Trail to stop and returns its exit error.
func (s *Stack) Err() error {
	<-s.stopped
	return s.err
}

// Close stops Trail (gracefully) and then the emulator. It may be called
// more than once.
func (s *Stack) Close() error {
	s.cancel()
	<-s.stopped
	s.emuOnce.Do(s.Emu.Close)
	return s.err
}

// WaitReady waits until Trail answers /readyz, so that the install event
// finds its handler.
func (s *Stack) WaitReady(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.Base+"/readyz", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("devstack: Trail did not become ready: %w", ctx.Err())
		case <-s.stopped:
			return fmt.Errorf("devstack: Trail stopped: %v", s.err)
		case <-tick.C:
		}
	}
}

// Install installs Trail on every portal, as each portal's administrator
// would from the marketplace, once Trail is ready.
func (s *Stack) Install(ctx context.Context) error {
	if err := s.WaitReady(ctx); err != nil {
		return err
	}
	for _, p := range s.Emu.Portals() {
		if _, err := p.Install(); err != nil {
			return fmt.Errorf("devstack: install on %s: %w", p.Domain(), err)
		}
	}
	return nil
}
