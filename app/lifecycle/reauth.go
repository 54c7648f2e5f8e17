package lifecycle

import (
	"context"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// tokenSaver stores a fresh grant for an installation; db.TokenStore is one.
type tokenSaver interface {
	SaveToken(ctx context.Context, q bun.IDB, memberID string, t b24.Token) error
}

// Reauthorize restores Trail's access to a portal after its grant was lost,
// with a refresh token its signed-in admin's page sent. Like an install it
// takes effect only on the portal's word: the token is traded at Trail's
// configured OAuth server, must be the portal's own (ErrOtherPortal) and an
// administrator's (ErrNotAdmin). The new grant is stored sealed, the
// installation becomes active, and setup (bindings may have been lost with
// the grant), the offline queue pull and a drain are enqueued in the same
// transaction.
func (s *Service) Reauthorize(ctx context.Context, portalID int64, refreshToken string) error {
	saver, ok := s.Portals.Tokens.(tokenSaver)
	if !ok {
		return errors.New("reauthorize: the token store cannot save grants")
	}
	in, err := db.InstallationByID(ctx, s.DB.Bun, portalID)
	if err != nil {
		return err
	}
	g, _, err := s.standing(ctx, in.MemberID, refreshToken)
	if err != nil {
		return err
	}
	t := b24.Token{
		AccessToken: g.AccessToken, RefreshToken: g.RefreshToken, Expires: g.Expires,
		ClientEndpoint: g.ClientEndpoint, ServerEndpoint: g.ServerEndpoint, MemberID: g.MemberID, Scope: g.Scope,
	}
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		if err := saver.SaveToken(ctx, tx, in.MemberID, t); err != nil {
			return err
		}
		if err := jobs.EnqueueSetup(ctx, tx, s.Jobs, in.ID); err != nil {
			return err
		}
		if err := jobs.Enqueue(ctx, tx, s.Jobs, jobs.OfflineArgs{PortalID: in.ID}); err != nil {
			return err
		}
		return jobs.EnqueueDrain(ctx, tx, s.Jobs, in.ID)
	})
	if err != nil {
		return fmt.Errorf("reauthorize %s: %w", in.MemberID, err)
	}
	s.Log.InfoContext(ctx, "portal re-authorised", "member_id", in.MemberID, "portal_id", in.ID)
	return nil
}
