// Package portal builds Bitrix24 clients for Trail's installations. Every
// client of every portal shares one rate limiter, execution-time pacer, HTTP
// transport, token store and call observer, so the limits hold across all
// goroutines and (with the Postgres-backed limiter and store) all machines.
package portal

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
)

// Clients hands out b24 clients for installations.
type Clients struct {
	HTTP     *http.Client
	Limiter  b24.Limiter
	Pacer    *b24.Pacer
	Observer b24.Observer
	Tokens   b24.TokenStore
	Keys     *secret.KeyRing

	ClientID, ClientSecret string
	// TokenURL is Trail's configured OAuth token endpoint. Installations
	// are refreshed there, never at an address a request named.
	TokenURL string
}

// Key is the portal key of an installation in limiters, token stores and
// observations: its member_id, which never changes (a domain can).
func Key(in *db.Installation) string { return in.MemberID }

// For returns the client that calls the installation's portal with the
// installation's own credentials.
func (c *Clients) For(in *db.Installation) (*b24.Client, error) {
	var creds b24.Credentials
	switch in.AuthMode {
	case db.AuthWebhook:
		u, err := c.Keys.Open(in.WebhookURL, db.TokenAD(in.MemberID, "webhook_url"))
		if err != nil {
			return nil, fmt.Errorf("portal %d: open webhook url: %w", in.ID, err)
		}
		creds = b24.Webhook{URL: string(u), Portal: Key(in)}
	default:
		creds = b24.OAuth{
			Portal: Key(in), ClientID: c.ClientID, ClientSecret: c.ClientSecret,
			Store: c.Tokens, TokenURL: c.TokenURL,
		}
	}
	cl := b24.New(creds, c.options())
	if o, ok := c.Tokens.(tokenOpener); ok && in.AuthMode != db.AuthWebhook {
		// The installation was just read with its tokens: a job's client
		// starts with them instead of reading the row again.
		if t, err := o.Opened(in); err == nil {
			cl.UseToken(t)
		}
	}
	return cl, nil
}

// tokenOpener opens the tokens of an installation already read
// (db.TokenStore).
type tokenOpener interface {
	Opened(*db.Installation) (b24.Token, error)
}

// ForUser returns a client that calls the installation's stored endpoint
// with a user's access token (from a placement POST), to learn who the user
// is and what they may read. It never refreshes: the token is the user's.
// A person is waiting, so a call waits at most maxWait for the portal's
// limits and otherwise fails at once with b24.ErrWouldWait.
func (c *Clients) ForUser(in *db.Installation, accessToken string, maxWait time.Duration) *b24.Client {
	store := &b24.MemoryTokenStore{}
	key := Key(in) + ":user"
	store.Save(key, b24.Token{AccessToken: accessToken, ClientEndpoint: in.ClientEndpoint, MemberID: in.MemberID})
	opts := c.options()
	opts.RefreshBefore = -1
	opts.MaxWait = maxWait
	return b24.New(b24.OAuth{Portal: key, Store: store, TokenURL: c.TokenURL}, opts)
}

// AsUser is ForUser for work a user started that runs in the background
// (a bulk revert): its requests count in the installation's own bucket of
// the shared rate limiter, as the portal counts them, so that background
// writes and Trail's own reads together stay within the portal's limit.
func (c *Clients) AsUser(in *db.Installation, accessToken string, maxWait time.Duration) *b24.Client {
	store := &b24.MemoryTokenStore{}
	store.Save(Key(in), b24.Token{AccessToken: accessToken, ClientEndpoint: in.ClientEndpoint, MemberID: in.MemberID})
	opts := c.options()
	opts.RefreshBefore = -1
	opts.MaxWait = maxWait
	return b24.New(b24.OAuth{Portal: Key(in), Store: store, TokenURL: c.TokenURL}, opts)
}

// App is Trail's identity at the OAuth server, for trading install tokens
// and sign-in codes.
func (c *Clients) App() b24.App {
	return b24.App{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL, HTTPClient: c.HTTP}
}

func (c *Clients) options() b24.Options {
	return b24.Options{
		HTTPClient: c.HTTP, Limiter: c.Limiter, Pacer: c.Pacer, Observer: c.Observer,
		UserAgent: "trail/1 (+bitrix24 app)",
	}
}

// HTTPClient returns the transport for portal calls. Bitrix24 cuts a request
// off after 60 s, so nothing waits longer. In development, host names under
// .localhost reach 127.0.0.1 (RFC 6761), which is how development and tests
// reach the emulated portals. Otherwise only public addresses are dialled
// (b24.PublicOnly): a portal's stored endpoint, or a name it resolves to
// later, never reaches Trail's own network.
func HTTPClient(development bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !development {
		d.Control = b24.PublicOnly
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 8
	// Every portal is a host of its own: the default cap of 100 idle
	// connections in all would make drains for a thousand portals dial (and
	// shake hands) again and again. Idle ones still close after 90 s.
	tr.MaxIdleConns = 0
	tr.ResponseHeaderTimeout = 60 * time.Second
	// Proxies from the environment would move the dial (and its check) to
	// the proxy's address.
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err == nil && development && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: tr, Timeout: 65 * time.Second}
}
