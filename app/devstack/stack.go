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
	"strings"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/config"
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
	Log    *slog.Logger
}

// Stack is a running emulator with Trail registered and running.
type Stack struct {
	Emu *b24test.Server
	// Base is Trail's base URL as the portals call it.
	Base string
	// Trail is the configuration Trail runs with.
	Trail *config.Config

	cancel context.CancelFunc
	done   chan error
}

// Start starts the emulator, registers Trail as its app and starts Trail
// (HTTP and workers). It does not install the app anywhere: see Install.
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
	emu, err := b24test.NewServer(opts)
	if err != nil {
		ln.Close()
		return nil, err
	}
	cfg := *c.Trail
	cfg.OAuthURL = strings.TrimSuffix(emu.OAuthTokenURL(), "/oauth/token/")

	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Stack{Emu: emu, Base: base, Trail: &cfg, cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- server.Run(runCtx, &cfg, c.Log, server.Mode{HTTP: true, Workers: true}, ln) }()
	return s, nil
}

// Done is closed with Trail's exit error when it stops on its own.
func (s *Stack) Done() <-chan error { return s.done }

// Close stops Trail (gracefully) and then the emulator.
func (s *Stack) Close() error {
	s.cancel()
	err := <-s.done
	s.done <- err // later Close or Done calls see it too
	s.Emu.Close()
	return err
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
		case err := <-s.done:
			s.done <- err
			return fmt.Errorf("devstack: Trail stopped: %w", err)
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
