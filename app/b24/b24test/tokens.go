package b24test

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// accessToken is an OAuth access token issued for one user of one portal.
type accessToken struct {
	portal  *Portal
	userID  int
	expires time.Time
	revoked bool
}

// refreshToken is single-use: a refresh kills it and issues a new pair.
type refreshToken struct {
	portal  *Portal
	userID  int
	expires time.Time
	used    bool
}

// authCode is an authorization code; it lives 30 seconds.
type authCode struct {
	portal  *Portal
	userID  int
	expires time.Time
}

type tokenStore struct {
	access  map[string]*accessToken
	refresh map[string]*refreshToken
	codes   map[string]*authCode
}

func newTokenStore() tokenStore {
	return tokenStore{access: map[string]*accessToken{}, refresh: map[string]*refreshToken{}, codes: map[string]*authCode{}}
}

// refreshLifetime is the refresh token lifetime (180 days, current docs).
const refreshLifetime = 180 * 24 * time.Hour

// codeLifetime is how long an authorization code may be exchanged.
const codeLifetime = 30 * time.Second

// randomHex returns n random bytes as hex; tokens need not be reproducible.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Tokens is an issued token pair as the OAuth server reports it.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    int
	Expires      time.Time
	UserID       int
}

// issue creates a token pair for the user; s.mu must be held.
func (s *Server) issueLocked(p *Portal, userID int) Tokens {
	now := s.now()
	t := Tokens{
		AccessToken:  randomHex(16),
		RefreshToken: randomHex(16),
		ExpiresIn:    int(s.opts.TokenLifetime / time.Second),
		Expires:      now.Add(s.opts.TokenLifetime),
		UserID:       userID,
	}
	s.tokens.access[t.AccessToken] = &accessToken{portal: p, userID: userID, expires: t.Expires}
	s.tokens.refresh[t.RefreshToken] = &refreshToken{portal: p, userID: userID, expires: now.Add(refreshLifetime)}
	return t
}

// lookupAccess resolves a token for a REST call.
func (s *Server) lookupAccess(token string) (*accessToken, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens.access[token]
	switch {
	case t == nil || t.revoked:
		return nil, errInvalidToken
	case !s.now().Before(t.expires):
		return nil, errExpiredToken
	}
	return t, nil
}

// revokePortalTokens kills every token of a portal (uninstall).
func (s *Server) revokePortalTokens(p *Portal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens.access {
		if t.portal == p {
			t.revoked = true
		}
	}
	for _, t := range s.tokens.refresh {
		if t.portal == p {
			t.used = true
		}
	}
}

// expirePortalTokens makes every access token of a portal expired now,
// leaving refresh tokens usable.
func (s *Server) expirePortalTokens(p *Portal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, t := range s.tokens.access {
		if t.portal == p && t.expires.After(now) {
			t.expires = now
		}
	}
}
