package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/views"
)

// mainPage is the app's page in the portal's menu (placement DEFAULT): the
// settings, for administrators only.
func (h *handlers) mainPage(c *fiber.Ctx, w *who, sess views.FrameSession) error {
	if !w.viewer.Admin {
		return h.problem(c, fiber.StatusForbidden, "error.admins_only")
	}
	c.Locals(viewerKey, w.viewer)
	return h.settingsPage(c, w.in, sess)
}
