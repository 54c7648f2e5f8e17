package b24

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// access returns the REST root to call and the access token to send ("" for
// webhooks). OAuth tokens close to expiry are refreshed first.
func (c *Client) access(ctx context.Context) (endpoint, token string, err error) {
	switch cr := c.creds.(type) {
	case Webhook:
		return cr.endpoint(), "", nil
	case OAuth:
		c.mu.Lock()
		t := c.tok
		c.mu.Unlock()
		if t.AccessToken == "" {
			if t, err = cr.Store.Load(ctx, cr.Portal); err != nil {
				return "", "", err
			}
			c.setToken(t)
		}
		if c.opts.RefreshBefore > 0 && !t.Expires.IsZero() && t.Expires.Sub(c.now()) < c.opts.RefreshBefore {
			nt, err := c.renew(ctx, cr, t.AccessToken)
			switch {
			case err == nil:
				t = nt
			case errors.Is(err, ErrReauthRequired), ctx.Err() != nil:
				return "", "", err
			}
			// Otherwise the old token may still work: try it.
		}
		return withSlash(t.ClientEndpoint), t.AccessToken, nil
	}
	return "", "", fmt.Errorf("b24: unsupported credentials %T", c.creds)
}

// UseToken makes t the token c has seen, for a caller that has just read
// it from the store itself: c's first call then does not load it again.
func (c *Client) UseToken(t Token) { c.setToken(t) }

func (c *Client) setToken(t Token) {
	c.mu.Lock()
	c.tok = t
	c.mu.Unlock()
}

func withSlash(s string) string {
	if strings.HasSuffix(s, "/") {
		return s
	}
	return s + "/"
}

// renew replaces the stale access token through the store, which makes sure
// only one refresh happens for it across everybody sharing the store.
func (c *Client) renew(ctx context.Context, o OAuth, stale string) (Token, error) {
	t, err := o.Store.Refresh(ctx, o.Portal, stale, func(ctx context.Context, cur Token) (Token, error) {
		return c.refresh(ctx, o, cur)
	})
	if err != nil {
		return Token{}, err
	}
	c.setToken(t)
	return t, nil
}

// tokenAnswer is the OAuth server's answer to a refresh.
type tokenAnswer struct {
	AccessToken      string  `json:"access_token"`
	RefreshToken     string  `json:"refresh_token"`
	Expires          flexInt `json:"expires"`
	ExpiresIn        flexInt `json:"expires_in"`
	ClientEndpoint   string  `json:"client_endpoint"`
	ServerEndpoint   string  `json:"server_endpoint"`
	MemberID         string  `json:"member_id"`
	Scope            string  `json:"scope"`
	UserID           flexInt `json:"user_id"`
	Error            string  `json:"error"`
	ErrorDescription string  `json:"error_description"`
}

// refresh trades cur's refresh token for a new pair at the OAuth server.
// It is never retried after the request went out: refresh tokens are
// single-use, and a second try with a token the server already took would
// look like a revoked grant.
func (c *Client) refresh(ctx context.Context, o OAuth, cur Token) (Token, error) {
	const method = "oauth.token"
	if cur.RefreshToken == "" {
		return Token{}, &Error{Method: method, Description: "no refresh token", kind: ErrReauthRequired}
	}
	q := url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {o.ClientID},
		"client_secret": {o.ClientSecret},
		"refresh_token": {cur.RefreshToken},
	}
	target := o.tokenURL(cur) + "?" + q.Encode()
	start := c.now()
	ev := Event{Portal: c.portal, Method: method, Commands: 1, Attempt: 1, Start: start}
	t, status, err := c.exchange(ctx, target, cur)
	ev.Status, ev.Duration, ev.Err = status, c.now().Sub(start), err
	var e *Error
	if errors.As(err, &e) {
		ev.Code = e.Code
	}
	c.observer.Observe(ev)
	return t, err
}

// maxTokenAnswer bounds what is read of an OAuth server's answer: a token
// answer is a few hundred bytes.
const maxTokenAnswer = 64 << 10

func (c *Client) exchange(ctx context.Context, target string, cur Token) (Token, int, error) {
	const method = "oauth.token"
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return Token{}, 0, transportError(method, 0, err)
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.opts.UserAgent)
		res, err := c.http.Do(req)
		if err != nil {
			te := transportError(method, 0, err)
			if neverSent(err) && attempt < 2 && fitsDeadline(ctx, c.now(), c.opts.BackoffBase) {
				if sleep(ctx, backoff(attempt+1, c.opts.BackoffBase, c.opts.BackoffMax)) == nil {
					continue
				}
			}
			return Token{}, 0, te
		}
		var a tokenAnswer
		err = json.NewDecoder(io.LimitReader(res.Body, maxTokenAnswer)).Decode(&a)
		res.Body.Close()
		switch {
		case err != nil && res.StatusCode >= 500:
			e := newError(method, res.StatusCode, "", "")
			e.cause = err
			return Token{}, res.StatusCode, e
		case err != nil:
			return Token{}, res.StatusCode, transportError(method, res.StatusCode, fmt.Errorf("decoding token answer: %w", err))
		case a.Error != "":
			// invalid_grant classifies as ErrReauthRequired.
			return Token{}, res.StatusCode, newError(method, res.StatusCode, a.Error, a.ErrorDescription)
		case a.AccessToken == "" || res.StatusCode >= 300:
			return Token{}, res.StatusCode, newError(method, res.StatusCode, "", "token answer without access_token")
		}
		return a.token(cur, c.now()), res.StatusCode, nil
	}
}

// token builds the new Token, keeping what the answer left out from cur.
func (a tokenAnswer) token(cur Token, now time.Time) Token {
	t := cur
	t.AccessToken = a.AccessToken
	if a.RefreshToken != "" {
		t.RefreshToken = a.RefreshToken
	}
	switch {
	case a.Expires > 0:
		t.Expires = time.Unix(int64(a.Expires), 0)
	case a.ExpiresIn > 0:
		t.Expires = now.Add(time.Duration(a.ExpiresIn) * time.Second)
	default:
		t.Expires = time.Time{}
	}
	if a.ClientEndpoint != "" {
		t.ClientEndpoint = a.ClientEndpoint
	}
	if a.ServerEndpoint != "" {
		t.ServerEndpoint = a.ServerEndpoint
	}
	if a.MemberID != "" {
		t.MemberID = a.MemberID
	}
	if a.Scope != "" {
		t.Scope = a.Scope
	}
	if a.UserID != 0 {
		t.UserID = int(a.UserID)
	}
	return t
}
