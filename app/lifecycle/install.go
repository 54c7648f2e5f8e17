package lifecycle

import (
	"context"
	"errors"
	"fmt"

	"github.com/trailhq/trail/app/b24/event"
	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// Admitted is an install the portal confirmed: the installation, and the
// administrator whose tokens were presented.
type Admitted struct {
	Installation *db.Installation
	UserID       int64
	// Admin is user.admin's answer for the presenter: always true, as
	// only an administrator's tokens get this far.
	Admin bool
}

// Install handles ONAPPINSTALL posted to the install handler or to the
// events handler; from is the sender's address.
func (s *Service) Install(ctx context.Context, e *event.Event, from string) (Admitted, error) {
	a, err := s.install(ctx, e.Auth.MemberID, e.Auth.RefreshToken, e.Auth.ApplicationToken, from)
	s.count(err, false)
	return a, err
}

// InstallFromPage handles the other way an install arrives: the installer
// page opened in the portal's iframe, with the opener's REFRESH_ID and the
// installation's APPLICATION_TOKEN in the form. It is confirmed the same way.
func (s *Service) InstallFromPage(ctx context.Context, memberID, refreshID, appToken, from string) (Admitted, error) {
	return s.install(ctx, memberID, refreshID, appToken, from)
}

// install records an installation only on the portal's word. Every app
// frame hands its user the application token and a grant of their own, so
// neither proves that an administrator installed anything: the tokens must
// be an administrator's (user.admin, asked with them at the endpoint the
// OAuth server names), and an active installation is replaced only when its
// stored grant no longer works, which is what an uninstall does to it.
// Over a healthy installation nothing changes: the administrator gets in.
func (s *Service) install(ctx context.Context, memberID, refreshToken, appToken, from string) (Admitted, error) {
	if memberID == "" || refreshToken == "" || appToken == "" {
		return Admitted{}, fmt.Errorf("%w: install without member_id, refresh token or application token", event.ErrMalformed)
	}
	g, st, err := s.admit(ctx, memberID, refreshToken, from)
	if err != nil {
		return Admitted{}, err
	}
	ok := Admitted{UserID: st.UserID, Admin: st.Admin}
	old, err := db.InstallationByMemberID(ctx, s.DB.Bun, g.MemberID)
	switch {
	case errors.Is(err, db.ErrNotFound):
	case err != nil:
		return Admitted{}, err
	case old.Status == db.StatusUninstalled || old.Status == db.StatusPurged:
	default:
		_, serr := s.Portals.StoredAppInfo(ctx, old)
		switch {
		case serr == nil:
			s.Log.InfoContext(ctx, "install over a healthy installation changes nothing", "member_id", old.MemberID, "portal_id", old.ID)
			ok.Installation = old
			return ok, nil
		case !portal.GrantDead(serr):
			return Admitted{}, fmt.Errorf("%w: stored grant of %s: %v", ErrUnavailable, old.MemberID, serr)
		}
		// The stored grant is dead: a reinstall whose uninstall Trail has
		// not (yet) seen confirmed, or a grant lost otherwise.
	}
	in := s.installation(g, appToken, st.App.Version)
	if err := s.save(ctx, in); err != nil {
		return Admitted{}, err
	}
	s.cache.drop(in.MemberID)
	s.Log.InfoContext(ctx, "portal installed", "member_id", in.MemberID, "portal_id", in.ID, "domain", in.Domain, "version", in.AppVersion)
	ok.Installation = in
	return ok, nil
}

// installation is the row a confirmed grant makes.
func (s *Service) installation(g Grant, appToken string, version int) *db.Installation {
	in := &db.Installation{
		MemberID:             g.MemberID,
		ClientEndpoint:       g.ClientEndpoint,
		Domain:               domainOf(g.ClientEndpoint),
		ServerEndpoint:       g.ServerEndpoint,
		AuthMode:             db.AuthOAuth,
		AccessToken:          s.seal(g.MemberID, "access_token", g.AccessToken),
		RefreshToken:         s.seal(g.MemberID, "refresh_token", g.RefreshToken),
		Scope:                g.Scope,
		ApplicationTokenHash: secret.HashToken(appToken),
		AppVersion:           version,
		Status:               db.StatusActive,
	}
	if !g.Expires.IsZero() {
		exp := g.Expires
		in.ExpiresAt = &exp
	}
	if g.UserID > 0 {
		uid := g.UserID
		in.AuthUserID = &uid
	}
	return in
}

// save stores an installation (new, or updated in place) with its default
// settings and enqueues its setup, in one transaction: setup binds events
// and tabs again, which an install, an update and a new grant all need.
func (s *Service) save(ctx context.Context, in *db.Installation) error {
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		if err := db.UpsertInstallation(ctx, tx, in); err != nil {
			return err
		}
		if err := db.EnsureSettings(ctx, tx, in.ID); err != nil {
			return err
		}
		return jobs.EnqueueSetup(ctx, tx, s.Jobs, in.ID)
	})
}
