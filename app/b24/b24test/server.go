package b24test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Server is a running Bitrix24 emulator: many portals, their OAuth server
// and the control API behind one listener.
type Server struct {
	// URL is the plain base URL, http://127.0.0.1:port, for webhooks and
	// the control API.
	URL string

	opts     Options
	listener net.Listener
	http     *http.Server
	port     string
	portals  []*Portal
	byHost   map[string]*Portal
	byMember map[string]*Portal
	byHook   map[string]*Portal

	mu     sync.Mutex // guards app and tokens
	app    *App
	tokens tokenStore

	oauthRequests atomic.Int64 // token endpoint requests

	ctlOnce sync.Once
	ctl     http.Handler

	ui uiState // the portal pages' state (portal_ui.go)

	events   *dispatcher
	closing  chan struct{}
	closeMu  sync.Once
	inflight sync.WaitGroup
}

// NewServer starts an emulator listening on opts.Addr.
func NewServer(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	if !opts.Plan.valid() {
		return nil, fmt.Errorf("b24test: unknown plan %q", opts.Plan)
	}
	if !knownLanguage(opts.Language) {
		return nil, fmt.Errorf("b24test: unknown language %q (known: %v)", opts.Language, Languages)
	}
	if _, err := time.LoadLocation(opts.TimeZone); err != nil {
		return nil, fmt.Errorf("b24test: unknown time zone %q", opts.TimeZone)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("b24test: listen on %s: %w", opts.Addr, err)
	}
	s := newServer(opts, ln)
	go func() { _ = s.http.Serve(ln) }()
	return s, nil
}

// NewTestServer starts an emulator for a test, as httptest.NewServer does:
// it returns a ready server or fails the test, and closes the server when
// the test ends.
func NewTestServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s, err := NewServer(opts)
	if err != nil {
		tb.Fatalf("b24test: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

func newServer(opts Options, ln net.Listener) *Server {
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	s := &Server{
		URL:      "http://" + ln.Addr().String(),
		opts:     opts,
		listener: ln,
		port:     port,
		byHost:   map[string]*Portal{},
		byMember: map[string]*Portal{},
		byHook:   map[string]*Portal{},
		tokens:   newTokenStore(),
		closing:  make(chan struct{}),
	}
	s.events = newDispatcher(s, opts.EventWorkers, opts.EventTimeout)
	for i := range opts.Portals {
		p := newPortal(s, i+1)
		s.portals = append(s.portals, p)
		s.byHost[p.name+".localhost"] = p
		s.byMember[p.memberID] = p
		s.byHook[p.hookSecret] = p
	}
	if opts.App != nil {
		s.RegisterApp(*opts.App)
	}
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	return s
}

// Close stops the listener, waits for in-flight requests and for queued
// event deliveries to finish.
func (s *Server) Close() {
	s.closeMu.Do(func() {
		close(s.closing)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = s.http.Shutdown(ctx)
		s.inflight.Wait()
		s.events.close()
	})
}

// Portals returns the portals in creation order.
func (s *Server) Portals() []*Portal { return append([]*Portal(nil), s.portals...) }

// Portal finds a portal by member_id or domain (with or without port).
func (s *Server) Portal(key string) *Portal {
	if p := s.byMember[key]; p != nil {
		return p
	}
	host, _, err := net.SplitHostPort(key)
	if err != nil {
		host = key
	}
	return s.byHost[strings.ToLower(host)]
}

// OAuthEndpoint is the authorization server's server_endpoint.
func (s *Server) OAuthEndpoint() string { return "http://" + s.oauthHost() + "/rest/" }

// OAuthTokenURL is where tokens are exchanged and refreshed.
func (s *Server) OAuthTokenURL() string { return "http://" + s.oauthHost() + "/oauth/token/" }

func (s *Server) oauthHost() string { return "oauth.localhost:" + s.port }

// Client returns an HTTP client whose transport dials the emulator for
// every host name, so code that calls http://{portal-domain}/rest/… or the
// OAuth host reaches it unchanged.
func (s *Server) Client() *http.Client {
	addr := s.listener.Addr().String()
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 16,
	}}
}

// Limits are the limits every portal applies, defaults filled in.
func (s *Server) Limits() Limits { return s.opts.Limits }

// Cost is the simulated cost model in force.
func (s *Server) Cost() Cost { return s.opts.Cost }

func (s *Server) now() time.Time { return s.opts.Now() }

// sleep waits d unless the server is closing.
func (s *Server) sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-s.closing:
	}
}

type ctxKey struct{}

// PortalFromContext returns the portal a Pages request was routed to.
func PortalFromContext(ctx context.Context) *Portal {
	p, _ := ctx.Value(ctxKey{}).(*Portal)
	return p
}

// ServeHTTP routes a request: the control API by path, webhooks by their
// secret on any host, the OAuth server and portals by Host header.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inflight.Add(1)
	defer s.inflight.Done()
	path := r.URL.Path
	if strings.HasPrefix(path, "/_emulator/") {
		s.control().ServeHTTP(w, r)
		return
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	host = strings.ToLower(host)
	if rest, ok := strings.CutPrefix(path, "/rest/"); ok {
		if uid, secret, method, ok := splitWebhook(rest); ok {
			s.serveREST(w, r, restTarget{hookSecret: secret, hookUser: uid, method: method})
			return
		}
	}
	if host == "oauth.localhost" {
		s.serveOAuth(w, r)
		return
	}
	p := s.byHost[host]
	if fr, isFile := parseFileURL(r.URL); isFile && p != nil {
		s.serveFile(w, r, p, fr) // crm_files.go
		return
	}
	switch {
	case p != nil && strings.HasPrefix(path, "/rest/"):
		s.serveREST(w, r, restTarget{portal: p, method: strings.TrimPrefix(path, "/rest/")})
	case p != nil && strings.HasPrefix(path, "/oauth/authorize"):
		s.serveAuthorize(w, r, p)
	case p != nil && s.opts.Pages != nil:
		s.opts.Pages.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, p)))
	case p != nil:
		s.servePortalUI(w, r, p) // the portal's web pages (portal_ui.go)
	case p == nil && strings.HasPrefix(path, "/rest/"):
		// A token names its portal, so the plain address serves apps too.
		s.serveREST(w, r, restTarget{method: strings.TrimPrefix(path, "/rest/")})
	default:
		http.NotFound(w, r)
	}
}

// splitWebhook recognises "{user_id}/{secret}/{method}".
func splitWebhook(rest string) (uid int, secret, method string, ok bool) {
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) != 3 {
		return 0, "", "", false
	}
	uid, err := strconv.Atoi(parts[0])
	if err != nil || uid <= 0 || parts[1] == "" {
		return 0, "", "", false
	}
	return uid, parts[1], parts[2], true
}

var errUnknownPortal = errors.New("b24test: unknown portal")
