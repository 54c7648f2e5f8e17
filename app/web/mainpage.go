package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/views"
)

// mainPage is the app's page in the portal's menu (placement DEFAULT): the
// settings. enter lets only administrators this far.
func (h *handlers) mainPage(c *fiber.Ctx, w *who, sess views.FrameSession) error {
	c.Locals(viewerKey, w.viewer)
	return h.settingsPage(c, w.in, sess)
}
