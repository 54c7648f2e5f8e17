package lifecycle

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/trailhq/trail/app/b24/event"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// Receive handles a delivery to the events handler. CRM changes go to the
// portal's inbox with a drain job; lifecycle events are dispatched; events
// Trail does not track are acknowledged and dropped. No REST call happens
// here: the portal waits for the answer.
func (s *Service) Receive(ctx context.Context, e *event.Event) error {
	ignored, err := s.receive(ctx, e)
	s.count(err, ignored)
	return err
}

// receive is Receive; ignored says the event was acknowledged and dropped.
func (s *Service) receive(ctx context.Context, e *event.Event) (ignored bool, err error) {
	switch e.Name {
	case event.AppInstall:
		_, err := s.installEvent(ctx, e)
		return false, err
	case event.AppUninstall:
		return false, s.uninstall(ctx, e)
	}
	crm, isCRM, err := e.CRMChange()
	if err != nil {
		return false, err
	}
	verify := s.verify
	if isCRM {
		verify = s.verifyCached // the hot path; the rest change the row
	}
	in, err := verify(ctx, e.Auth.MemberID, e.Auth.ApplicationToken)
	if err != nil {
		return false, err
	}
	if in.Status == db.StatusUninstalled || in.Status == db.StatusPurged {
		return false, ErrUnauthorized
	}
	switch {
	case isCRM:
		return false, s.enqueueChange(ctx, in, e, crm)
	case e.Name == event.OfflineEvent:
		_, err := s.Jobs.Insert(ctx, jobs.OfflineArgs{PortalID: in.ID}, nil)
		return false, err
	case e.Name == event.AppUpdate:
		return false, s.update(ctx, in, e)
	}
	return true, nil
}

// enqueueChange puts a CRM change in the inbox. Only the record's type and
// ID are taken from the delivery, as a hint of where to look: auth[user_id]
// and ts are whatever the sender wrote (the application token that signs
// an event is visible to every app frame of the portal), so neither is
// kept. The drain takes authors and times from the record as the portal
// returns it, and Trail's own clock.
func (s *Service) enqueueChange(ctx context.Context, in *db.Installation, e *event.Event, c event.CRM) error {
	row := db.InboxRow{
		Entity: c.Entity, EntityID: c.ID, Kind: c.Kind, Origin: db.OriginOnline,
		UserAuth: e.Auth.HasUserToken(),
	}
	return s.intake().Accept(ctx, in.ID, row)
}

// update handles ONAPPUPDATE: a new version brings a new application_token
// and fresh tokens, and drops the event bindings, so setup runs again.
func (s *Service) update(ctx context.Context, in *db.Installation, e *event.Event) error {
	if e.Auth.RefreshToken == "" {
		return fmt.Errorf("%w: update without auth[refresh_token]", event.ErrMalformed)
	}
	g, err := s.confirm(ctx, in.MemberID, e.Auth.RefreshToken)
	if err != nil {
		return err
	}
	in.AccessToken = s.seal(in.MemberID, "access_token", g.AccessToken)
	in.RefreshToken = s.seal(in.MemberID, "refresh_token", g.RefreshToken)
	in.ClientEndpoint, in.Domain, in.ServerEndpoint, in.Scope = g.ClientEndpoint, domainOf(g.ClientEndpoint), g.ServerEndpoint, g.Scope
	in.ApplicationTokenHash = secret.HashToken(e.Auth.ApplicationToken)
	in.Status = db.StatusActive
	if !g.Expires.IsZero() {
		exp := g.Expires
		in.ExpiresAt = &exp
	}
	return s.save(ctx, in)
}

// Uninstall handles ONAPPUNINSTALL, whose application_token is its only
// proof of origin. Tokens are destroyed at once; the data is purged at once
// when the admin ticked "delete data" (data[CLEAN]=1), otherwise after a
// grace period so that a reinstall finds its history.
func (s *Service) Uninstall(ctx context.Context, e *event.Event) error {
	err := s.uninstall(ctx, e)
	s.count(err, false)
	return err
}

func (s *Service) uninstall(ctx context.Context, e *event.Event) error {
	in, err := s.verify(ctx, e.Auth.MemberID, e.Auth.ApplicationToken)
	if err != nil {
		return err
	}
	if in.Status == db.StatusUninstalled || in.Status == db.StatusPurged {
		return nil // a repeated delivery
	}
	clean := e.Data.Get("CLEAN") == "1"
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		if err := db.MarkUninstalled(ctx, tx, in.ID); err != nil {
			return err
		}
		return tx.Pgx(func(ptx pgx.Tx) error {
			var opts *river.InsertOpts
			if !clean {
				opts = &river.InsertOpts{ScheduledAt: jobs.PurgeAfter(time.Now(), clean)}
			}
			_, err := s.Jobs.InsertTx(ctx, ptx, jobs.PurgeArgs{PortalID: in.ID}, opts)
			return err
		})
	})
	if err != nil {
		return err
	}
	s.cache.drop(in.MemberID) // this process stops accepting its events at once
	s.Log.InfoContext(ctx, "portal uninstalled", "member_id", in.MemberID, "portal_id", in.ID, "clean", clean)
	return nil
}
