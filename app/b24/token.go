package b24

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Token is what an OAuth installation needs to call its portal.
// Its String, GoString and LogValue methods hide the secrets, so a Token can
// be printed or logged without leaking them.
type Token struct {
	AccessToken    string
	RefreshToken   string
	Expires        time.Time // when the access token dies; zero if unknown
	ClientEndpoint string    // the portal's REST root, e.g. https://portal.bitrix24.com/rest/
	ServerEndpoint string    // the OAuth server's REST root, e.g. https://oauth.bitrix.info/rest/
	MemberID       string
	Scope          string
	UserID         int
}

func (t Token) String() string {
	return fmt.Sprintf("b24.Token{endpoint:%s member:%s expires:%s access:%s refresh:%s}",
		t.ClientEndpoint, t.MemberID, t.Expires.UTC().Format(time.RFC3339), redact(t.AccessToken), redact(t.RefreshToken))
}

// GoString keeps %#v from printing the secrets.
func (t Token) GoString() string { return t.String() }

// LogValue keeps slog from printing the secrets.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint", t.ClientEndpoint), slog.String("member_id", t.MemberID),
		slog.Time("expires", t.Expires))
}

func redact(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// TokenStore keeps the tokens of OAuth installations, keyed by portal (the
// application's own key for the installation, typically the member_id).
//
// Refresh tokens are single-use: each refresh returns a new pair and retires
// the old refresh token. A store therefore serialises refreshes per portal
// across every goroutine, process and machine that shares it, and only
// refreshes a token that is still the current one.
type TokenStore interface {
	// Load returns the portal's current token. It returns an error matching
	// ErrReauthRequired when the installation was marked as needing a new
	// authorisation, and ErrNotFound when there is none.
	Load(ctx context.Context, portal string) (Token, error)

	// Refresh replaces the token whose access token is stale. Holding an
	// exclusive lock for the portal, it reads the current token again: if
	// its access token is no longer stale, somebody refreshed it meanwhile
	// and Refresh returns it without calling renew; otherwise it calls renew
	// with the current token and saves and returns what renew gives back.
	// When renew fails with ErrReauthRequired the store records that the
	// installation needs re-authorisation before returning the error.
	Refresh(ctx context.Context, portal, stale string, renew func(context.Context, Token) (Token, error)) (Token, error)
}

// MemoryTokenStore is a TokenStore for one process (tests, tools, webhook-less
// single-portal programs). The zero value is ready to use.
type MemoryTokenStore struct {
	mu     sync.Mutex
	tokens map[string]*memoryToken
}

type memoryToken struct {
	mu     sync.Mutex // held during a refresh
	token  Token
	reauth bool
	set    bool
}

func (s *MemoryTokenStore) entry(portal string) *memoryToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens = map[string]*memoryToken{}
	}
	e := s.tokens[portal]
	if e == nil {
		e = &memoryToken{}
		s.tokens[portal] = e
	}
	return e
}

// Save stores a token for the portal (after an installation or a new
// authorisation) and clears a re-authorisation mark.
func (s *MemoryTokenStore) Save(portal string, t Token) {
	e := s.entry(portal)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.token, e.reauth, e.set = t, false, true
}

// Load implements TokenStore.
func (s *MemoryTokenStore) Load(_ context.Context, portal string) (Token, error) {
	e := s.entry(portal)
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.get(portal)
}

func (e *memoryToken) get(portal string) (Token, error) {
	switch {
	case e.reauth:
		return Token{}, fmt.Errorf("portal %s: %w", portal, ErrReauthRequired)
	case !e.set:
		return Token{}, fmt.Errorf("portal %s: no token: %w", portal, ErrNotFound)
	}
	return e.token, nil
}

// Refresh implements TokenStore.
func (s *MemoryTokenStore) Refresh(ctx context.Context, portal, stale string, renew func(context.Context, Token) (Token, error)) (Token, error) {
	e := s.entry(portal)
	e.mu.Lock()
	defer e.mu.Unlock()
	cur, err := e.get(portal)
	if err != nil {
		return Token{}, err
	}
	if cur.AccessToken != stale {
		return cur, nil
	}
	next, err := renew(ctx, cur)
	if err != nil {
		if errors.Is(err, ErrReauthRequired) {
			e.reauth = true
		}
		return Token{}, err
	}
	e.token = next
	return next, nil
}
