// Package lifecycle handles what portals send to Trail: installs, uninstalls,
// updates and CRM events. It verifies every delivery against the stored
// installation, then records it and enqueues the follow-up job in the same
// transaction, so an answered delivery is never lost and a rejected one
// writes nothing. What a user of the portal could have sent (every app frame
// shows the application token and the user's own grant) changes an
// installation only once the portal confirms it: installs, updates and new
// grants need an administrator's tokens, and an uninstall is acted on by a
// job after the stored grant stops working.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/trailhq/trail/app/b24/event"
	"github.com/trailhq/trail/app/intake"
	"github.com/trailhq/trail/app/metrics"
	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// Errors the web layer maps to statuses.
var (
	// ErrUnauthorized: unknown portal, wrong application_token, or tokens the
	// authorization server does not confirm. Answered 401.
	ErrUnauthorized = errors.New("lifecycle: not authorised")
	// ErrUnavailable: the authorization server or the portal could not be
	// asked. Answered 503.
	ErrUnavailable = errors.New("lifecycle: authorization server unavailable")
	// ErrOtherPortal: the tokens belong to another portal than the one
	// named. A kind of ErrUnauthorized.
	ErrOtherPortal = fmt.Errorf("%w: tokens of another portal", ErrUnauthorized)
	// ErrNotAdmin: the tokens are a portal user's who is not an
	// administrator, and only administrators install, update and grant
	// access. Answered 403.
	ErrNotAdmin = errors.New("lifecycle: not an administrator")
	// ErrThrottled: too many install attempts from the sender or for the
	// portal lately. Answered 429.
	ErrThrottled = errors.New("lifecycle: too many attempts")
)

// Grant is what the authorization server confirms about a refresh token:
// the portal it belongs to and a fresh token pair.
type Grant struct {
	AccessToken    string
	RefreshToken   string
	Expires        time.Time
	MemberID       string
	ClientEndpoint string
	ServerEndpoint string
	Scope          string
	UserID         int64
}

// Authorizer trades a refresh token at Trail's configured authorization
// server. Install data is trusted only through it: the handler URLs are
// public, and a forged install could otherwise point Trail at any host.
type Authorizer interface {
	Refresh(ctx context.Context, refreshToken string) (Grant, error)
}

// Service is the lifecycle logic; all fields are required.
type Service struct {
	DB   *db.DB
	Keys *secret.KeyRing
	Jobs *jobs.Client
	Auth Authorizer
	// Portals asks portals what they confirm: who owns presented tokens,
	// and whether the stored grant still works.
	Portals *portal.Clients
	Log     *slog.Logger
	// Metrics, when set, counts deliveries by result.
	Metrics *metrics.Metrics

	cache installCache // installations the events handler verified lately
	guard guard        // what unauthenticated entry points may spend at the OAuth server

	intakeOnce sync.Once
	intakeQ    *intake.Committer
}

// intake is the events handler's group committer, made on first use.
func (s *Service) intake() *intake.Committer {
	s.intakeOnce.Do(func() { s.intakeQ = intake.New(s.DB, s.Jobs) })
	return s.intakeQ
}

// seal encrypts a token bound to its portal and column, so a sealed value
// copied to another row or column does not open.
func (s *Service) seal(memberID, column, token string) []byte {
	if token == "" {
		return nil
	}
	return s.Keys.Seal([]byte(token), db.TokenAD(memberID, column))
}

// verify loads the installation named by memberID and checks the presented
// application token against its stored hash.
func (s *Service) verify(ctx context.Context, memberID, appToken string) (*db.Installation, error) {
	in, err := db.InstallationByMemberID(ctx, s.DB.Bun, memberID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if !tokenMatches(in, appToken) {
		s.Log.WarnContext(ctx, "application token mismatch", "member_id", memberID)
		return nil, ErrUnauthorized
	}
	return in, nil
}

func tokenMatches(in *db.Installation, appToken string) bool {
	return secret.TokenMatches(in.ApplicationTokenHash, appToken)
}

// count records a delivery's result.
func (s *Service) count(err error, ignored bool) {
	if s.Metrics == nil {
		return
	}
	r := metrics.EventAccepted
	switch {
	case err == nil && ignored:
		r = metrics.EventIgnored
	case err == nil:
	case errors.Is(err, ErrUnauthorized), errors.Is(err, ErrNotAdmin), errors.Is(err, ErrThrottled):
		r = metrics.EventUnauthorized
	case errors.Is(err, event.ErrMalformed):
		r = metrics.EventMalformed
	case errors.Is(err, ErrUnavailable):
		r = metrics.EventUnavailable
	default:
		r = metrics.EventError
	}
	s.Metrics.Events.WithLabelValues(r).Inc()
}
