package web

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/lifecycle"
	"github.com/trailhq/trail/views"
)

// grantTimeout bounds the trade at the OAuth server and the portal's answer
// about its owner while the admin waits.
const grantTimeout = 15 * time.Second

// reauthorize restores Trail's access after its grant was lost. The admin's
// page sends the admin's current refresh token (trail.js takes it from the
// Bitrix24 SDK); lifecycle.Reauthorize accepts it only as a portal
// administrator's grant for this very portal.
func (h *handlers) reauthorize(c *fiber.Ctx) error {
	ctx := c.UserContext()
	refresh := c.FormValue("REFRESH_ID")
	if refresh == "" {
		return badForm(c, "settings.reauth.missing")
	}
	gctx, cancel := context.WithTimeout(ctx, grantTimeout)
	err := h.Lifecycle.Reauthorize(gctx, viewerOf(c).PortalID, refresh)
	cancel()
	switch {
	case errors.Is(err, lifecycle.ErrOtherPortal):
		c.Status(fiber.StatusForbidden)
		return views.Render(c, views.FormStatus(views.T(ctx, "settings.reauth.other_portal"), true))
	case errors.Is(err, lifecycle.ErrNotAdmin):
		c.Status(fiber.StatusForbidden)
		return views.Render(c, views.FormStatus(views.T(ctx, "settings.reauth.not_admin"), true))
	case errors.Is(err, lifecycle.ErrUnauthorized), errors.Is(err, lifecycle.ErrUnavailable):
		return badForm(c, "settings.reauth.refused")
	case err != nil:
		return err
	}
	return views.Render(c, views.ReauthDone())
}
