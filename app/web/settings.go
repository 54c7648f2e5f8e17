package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// The settings page is the app's main page (placement DEFAULT). Every route
// under /settings sits behind requireAdmin, so a portal's ordinary users
// can neither see nor change anything here; and every query takes the
// portal from the session, never from the request, so one portal's admin
// cannot reach another portal's data.

// settingsRoutes registers the settings page's fragments and forms.
func (h *handlers) settingsRoutes(r fiber.Router) {
	r.Post("/tracking", h.saveTracking)
	r.Post("/fields/:entity", h.saveFields)
	r.Post("/resync", h.resync)
	r.Get("/sync", h.syncProgress)
	r.Get("/health", h.healthSection)
	r.Get("/health/portal", h.portalHealth)
	r.Get("/calls", h.apiCalls)
	r.Get("/reverts", h.revertsSection)
	r.Get("/bulk", h.bulkSection)
	r.Post("/bulk/preview", wellFormed, h.bulkPreview)
	r.Post("/bulk", wellFormed, h.bulkStart)
	r.Get("/bulk/:id", h.bulkPoll)
	r.Post("/bulk/:id/stop", h.bulkStop)
	r.Get("/bulk/:id/report.csv", h.bulkCSV)
	r.Post("/reauthorize", h.reauthorize)
	h.deletedRoutes(r)
}

// settingsPage renders the settings of the viewer's portal.
func (h *handlers) settingsPage(c *fiber.Ctx, in *db.Installation, sess views.FrameSession) error {
	d, err := h.admin.Page(c.UserContext(), in, printer(c, viewerOf(c)))
	if err != nil {
		return err
	}
	d.Session = sess
	return views.Render(c, views.Settings(d))
}
