package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/trailhq/trail/app/b24/event"
	"github.com/trailhq/trail/app/portal"
)

// admit trades a refresh token that anybody may have posted and asks the
// portal about its owner; it succeeds only for an administrator's tokens.
// Trades are throttled by sender and portal, and a refused or spent refresh
// token is refused again without asking the OAuth server.
func (s *Service) admit(ctx context.Context, memberID, refreshToken, from string) (Grant, portal.Standing, error) {
	if refreshToken == "" {
		return Grant{}, portal.Standing{}, fmt.Errorf("%w: no refresh token", event.ErrMalformed)
	}
	now := time.Now()
	if s.guard.wasRefused(refreshToken, now) {
		return Grant{}, portal.Standing{}, ErrUnauthorized
	}
	p, ok := s.guard.take(from, memberID, now)
	if !ok {
		s.Log.WarnContext(ctx, "install attempts throttled", "member_id", memberID, "from", from)
		return Grant{}, portal.Standing{}, ErrThrottled
	}
	g, st, err := s.standing(ctx, memberID, refreshToken)
	switch {
	case err == nil, errors.Is(err, ErrUnavailable): // an outage is not the sender's doing
		s.guard.give(p)
	case errors.Is(err, ErrUnauthorized), errors.Is(err, ErrNotAdmin):
		s.guard.refuse(refreshToken, now)
	}
	return g, st, err
}

// standing is admit's portal side: the trade, then who the tokens belong to.
func (s *Service) standing(ctx context.Context, memberID, refreshToken string) (Grant, portal.Standing, error) {
	g, err := s.confirm(ctx, memberID, refreshToken)
	if err != nil {
		return Grant{}, portal.Standing{}, err
	}
	st, err := s.Portals.StandingOf(ctx, g.MemberID, g.ClientEndpoint, g.AccessToken)
	if portal.GrantDead(err) {
		return Grant{}, portal.Standing{}, fmt.Errorf("%w: the portal refuses the traded token: %v", ErrUnauthorized, err)
	}
	if err != nil {
		return Grant{}, portal.Standing{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if !st.Admin {
		s.Log.WarnContext(ctx, "install tokens of a user who is not an administrator refused", "member_id", g.MemberID, "user_id", st.UserID)
		return Grant{}, portal.Standing{}, ErrNotAdmin
	}
	return g, st, nil
}

// confirm trades the refresh token and checks the grant is the claimed
// portal's and points at a usable endpoint.
func (s *Service) confirm(ctx context.Context, memberID, refreshToken string) (Grant, error) {
	g, err := s.Auth.Refresh(ctx, refreshToken)
	if err != nil {
		if errors.Is(err, ErrUnauthorized) {
			return Grant{}, err
		}
		return Grant{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if g.MemberID != memberID {
		s.Log.WarnContext(ctx, "install tokens belong to another portal", "member_id", memberID, "grant_member_id", g.MemberID)
		return Grant{}, ErrOtherPortal
	}
	if domainOf(g.ClientEndpoint) == "" {
		return Grant{}, fmt.Errorf("%w: grant without a client endpoint", ErrUnauthorized)
	}
	return g, nil
}

// domainOf returns the host (with port, if any) of a REST endpoint URL.
func domainOf(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return strings.ToLower(u.Host)
}
