package web

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
	"github.com/trailhq/trail/views"
)

// tokenSaver stores a fresh grant for an installation; db.TokenStore is one.
type tokenSaver interface {
	SaveToken(ctx context.Context, q bun.IDB, memberID string, t b24.Token) error
}

// grantTimeout bounds the trade at the OAuth server while the admin waits.
const grantTimeout = 15 * time.Second

// reauthorize restores Trail's access after its grant was lost. The admin's
// page sends the admin's current refresh token (trail.js takes it from the
// Bitrix24 SDK); it is traded at Trail's configured OAuth server, never at
// an address the request names, and accepted only if the server says it
// belongs to the viewer's own portal. The new tokens are stored sealed, the
// installation becomes active, and setup (bindings may have been lost with
// the grant), the offline queue pull and a drain are enqueued in the same
// transaction.
func (h *handlers) reauthorize(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := viewerOf(c)
	refresh := c.FormValue("REFRESH_ID")
	if refresh == "" {
		return badForm(c, "settings.reauth.missing")
	}
	saver, ok := h.Clients.Tokens.(tokenSaver)
	if !ok {
		return errors.New("reauthorize: the token store cannot save grants")
	}
	in, err := db.InstallationByID(ctx, h.DB.Bun, v.PortalID)
	if err != nil {
		return err
	}
	gctx, cancel := context.WithTimeout(ctx, grantTimeout)
	t, err := h.Clients.App().Refresh(gctx, refresh)
	cancel()
	if err != nil {
		return badForm(c, "settings.reauth.refused")
	}
	if t.MemberID != in.MemberID {
		c.Status(fiber.StatusForbidden)
		return views.Render(c, views.FormStatus(views.T(ctx, "settings.reauth.other_portal"), true))
	}
	err = h.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		if err := saver.SaveToken(ctx, tx, in.MemberID, t); err != nil {
			return err
		}
		if err := tx.Pgx(func(ptx pgx.Tx) error {
			if _, err := h.Jobs.InsertTx(ctx, ptx, jobs.SetupArgs{PortalID: in.ID}, nil); err != nil {
				return err
			}
			_, err := h.Jobs.InsertTx(ctx, ptx, jobs.OfflineArgs{PortalID: in.ID}, nil)
			return err
		}); err != nil {
			return err
		}
		return jobs.EnqueueDrain(ctx, tx, h.Jobs, in.ID)
	})
	if err != nil {
		return err
	}
	return views.Render(c, views.ReauthDone())
}
