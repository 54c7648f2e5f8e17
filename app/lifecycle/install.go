package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/trailhq/trail/app/b24/event"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// Install stores (or updates in place) the installation an ONAPPINSTALL
// announces and enqueues its setup job, in one transaction.
//
// The posted tokens are confirmed by trading the refresh token at the
// configured authorization server; its answer, not the form, says which
// portal they belong to and where its REST endpoint is.
func (s *Service) Install(ctx context.Context, e *event.Event) (*db.Installation, error) {
	in, err := s.installEvent(ctx, e)
	s.count(err, false)
	return in, err
}

func (s *Service) installEvent(ctx context.Context, e *event.Event) (*db.Installation, error) {
	if e.Auth.RefreshToken == "" {
		return nil, fmt.Errorf("%w: install without auth[refresh_token]", event.ErrMalformed)
	}
	return s.install(ctx, e.Auth.MemberID, e.Auth.RefreshToken, e.Auth.ApplicationToken)
}

// InstallFromPage handles the other way an install arrives: the installer
// page opened in the portal's iframe, with the admin's REFRESH_ID and the
// installation's APPLICATION_TOKEN in the form. It is confirmed the same way.
func (s *Service) InstallFromPage(ctx context.Context, memberID, refreshID, appToken string) (*db.Installation, error) {
	if memberID == "" || refreshID == "" || appToken == "" {
		return nil, fmt.Errorf("%w: installer form without member_id, REFRESH_ID or APPLICATION_TOKEN", event.ErrMalformed)
	}
	return s.install(ctx, memberID, refreshID, appToken)
}

func (s *Service) install(ctx context.Context, memberID, refreshToken, appToken string) (*db.Installation, error) {
	g, err := s.confirm(ctx, memberID, refreshToken)
	if err != nil {
		return nil, err
	}
	in := &db.Installation{
		MemberID:             g.MemberID,
		ClientEndpoint:       g.ClientEndpoint,
		Domain:               domainOf(g.ClientEndpoint),
		ServerEndpoint:       g.ServerEndpoint,
		AuthMode:             "oauth",
		AccessToken:          s.seal(g.MemberID, "access_token", g.AccessToken),
		RefreshToken:         s.seal(g.MemberID, "refresh_token", g.RefreshToken),
		Scope:                g.Scope,
		ApplicationTokenHash: secret.HashToken(appToken),
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
	if err := s.save(ctx, in); err != nil {
		return nil, err
	}
	s.Log.InfoContext(ctx, "portal installed", "member_id", in.MemberID, "portal_id", in.ID, "domain", in.Domain)
	return in, nil
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
		return tx.Pgx(func(ptx pgx.Tx) error {
			_, err := s.Jobs.InsertTx(ctx, ptx, jobs.SetupArgs{PortalID: in.ID}, nil)
			return err
		})
	})
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
		return Grant{}, ErrUnauthorized
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
