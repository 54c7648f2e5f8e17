package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/views"
)

// healthSection is the health section alone, for a reload after access
// was restored.
func (h *handlers) healthSection(c *fiber.Ctx) error {
	hv, err := h.admin.Health(c.UserContext(), installationOf(c))
	if err != nil {
		return err
	}
	return views.Render(c, views.HealthSection(hv))
}

// portalHealth asks the portal for Trail's event bindings and the size of
// its offline queue; loaded after the page so a slow portal delays nothing.
func (h *handlers) portalHealth(c *fiber.Ctx) error {
	ph, err := h.admin.PortalHealth(c.UserContext(), installationOf(c))
	if err != nil {
		return err
	}
	return views.Render(c, views.PortalHealthPart(ph))
}
