package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/admin"
	"github.com/trailhq/trail/views"
)

// syncProgress is the fragment the progress bar polls.
func (h *handlers) syncProgress(c *fiber.Ctx) error {
	p, err := h.admin.Progress(c.UserContext(), installationOf(c))
	if err != nil {
		return err
	}
	return views.Render(c, views.SyncBar(p))
}

// resync copies every tracked type's records again (admin.Service.Resync).
func (h *handlers) resync(c *fiber.Ctx) error {
	p, err := h.admin.Resync(c.UserContext(), installationOf(c))
	switch {
	case errors.Is(err, admin.ErrNoAccess):
		p.Refused = views.T(c.UserContext(), "settings.sync.needs_access")
		c.Status(fiber.StatusBadRequest)
	case err != nil:
		return err
	}
	return views.Render(c, views.SyncBar(p))
}
