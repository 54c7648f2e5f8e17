package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/trailhq/trail/app/b24/event"
	"github.com/trailhq/trail/app/bindings"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// Receive handles a delivery to the events handler; from is the sender's
// address. CRM changes go to the portal's inbox with a drain job; lifecycle
// events are dispatched; events Trail does not track are acknowledged and
// dropped. No REST call happens for CRM changes: the portal waits for the
// answer, and they are most of the traffic.
func (s *Service) Receive(ctx context.Context, e *event.Event, from string) error {
	ignored, err := s.receive(ctx, e, from)
	s.count(err, ignored)
	return err
}

// receive is Receive; ignored says the event was acknowledged and dropped.
func (s *Service) receive(ctx context.Context, e *event.Event, from string) (ignored bool, err error) {
	switch e.Name {
	case event.AppInstall:
		_, err := s.install(ctx, e.Auth.MemberID, e.Auth.RefreshToken, e.Auth.ApplicationToken, from)
		return false, err
	case event.AppUninstall:
		return false, s.uninstall(ctx, e)
	case event.AppUpdate:
		return false, s.update(ctx, e, from)
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
	case slices.Contains(bindings.TypeEvents, e.Name):
		// A smart process or a field was added, changed or deleted: setup
		// reads the portal's types and fields again with Trail's grant
		// (binding the new type's tab, starting its baseline). What the
		// event claims is not read; a burst of them makes one setup, a few
		// seconds later.
		return false, s.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
			return jobs.EnqueueSetupSoon(ctx, tx, s.Jobs, in.ID)
		})
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
	t, ok := crm.ParseType(c.Entity)
	if !ok {
		return fmt.Errorf("enqueue change: unknown type %q", c.Entity)
	}
	row := db.InboxRow{
		Entity: t, EntityID: c.ID, Kind: db.InboxKind(c.Kind), Origin: db.OriginOnline,
		UserAuth: e.Auth.HasUserToken(),
	}
	return s.intake().Accept(ctx, in.ID, row)
}

// update handles ONAPPUPDATE. It brings a new application_token, which no
// stored value can vouch for, and a grant, so it is acted on only on the
// portal's word: the tokens are an administrator's and app.info, asked with
// them, reports a higher version than the one stored. Then the new grant,
// token and version replace the old, and setup runs again.
func (s *Service) update(ctx context.Context, e *event.Event, from string) error {
	in, err := db.InstallationByMemberID(ctx, s.DB.Bun, e.Auth.MemberID)
	if errors.Is(err, db.ErrNotFound) {
		return ErrUnauthorized
	}
	if err != nil {
		return err
	}
	if in.Status != db.StatusActive && in.Status != db.StatusReauth {
		return ErrUnauthorized
	}
	if e.Auth.ApplicationToken == "" {
		return fmt.Errorf("%w: update without auth[application_token]", event.ErrMalformed)
	}
	g, st, err := s.admit(ctx, in.MemberID, e.Auth.RefreshToken, from)
	if err != nil {
		return err
	}
	if !UpdateConfirmed(in.AppVersion, st.App.Version) {
		s.Log.WarnContext(ctx, "update the portal does not confirm ignored", "member_id", in.MemberID,
			"stored_version", in.AppVersion, "reported_version", st.App.Version)
		return ErrUnauthorized
	}
	next := s.installation(g, e.Auth.ApplicationToken, st.App.Version)
	if err := s.save(ctx, next); err != nil {
		return err
	}
	s.cache.drop(in.MemberID)
	s.Log.InfoContext(ctx, "portal updated", "member_id", in.MemberID, "portal_id", in.ID, "version", next.AppVersion)
	return nil
}

// UpdateConfirmed says whether app.info's version confirms an update of an
// installation stored at version stored: only a higher one does, so that a
// replayed or forged ONAPPUPDATE cannot swap the token or the grant.
func UpdateConfirmed(stored, reported int) bool { return reported > stored }

// Uninstall handles ONAPPUNINSTALL posted to the uninstall handler.
func (s *Service) Uninstall(ctx context.Context, e *event.Event) error {
	err := s.uninstall(ctx, e)
	s.count(err, false)
	return err
}

// uninstall takes ONAPPUNINSTALL as a hint. Its application_token is one
// every user who opens the app can read, so nothing changes here: a job
// asks the portal with the stored grant, which a real uninstall kills, and
// only then marks the installation uninstalled and schedules the purge
// (at once with data[CLEAN]=1).
func (s *Service) uninstall(ctx context.Context, e *event.Event) error {
	in, err := s.verify(ctx, e.Auth.MemberID, e.Auth.ApplicationToken)
	if err != nil {
		return err
	}
	if in.Status == db.StatusUninstalled || in.Status == db.StatusPurged {
		return nil // a repeated delivery
	}
	clean := e.Data.Get("CLEAN") == "1"
	if _, err := s.Jobs.Insert(ctx, jobs.UninstallArgs{PortalID: in.ID, Clean: clean}, nil); err != nil {
		return err
	}
	s.Log.InfoContext(ctx, "uninstall announced; asking the portal", "member_id", in.MemberID, "portal_id", in.ID, "clean", clean)
	return nil
}
