package web

import (
	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/lifecycle"
	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
	"github.com/trailhq/trail/views"
)

// handlers are the page handlers of people using Trail in a portal.
type handlers struct {
	DB       *db.DB
	Sessions *scs.SessionManager
	Clients  *portal.Clients
	Jobs     *jobs.Client
	// Lifecycle confirms and records installs and new grants.
	Lifecycle *lifecycle.Service
	BaseURL   string
}

const viewerKey = "trail.viewer"

// requireViewer lets through requests whose session names a portal user,
// sets their language, and frames the response for their portal only.
func (h *handlers) requireViewer(c *fiber.Ctx) error {
	v, ok := currentViewer(h.Sessions, c.UserContext())
	if !ok {
		return fiber.NewError(fiber.StatusUnauthorized, "no session")
	}
	in, err := db.InstallationByID(c.UserContext(), h.DB.Bun, v.PortalID)
	if err != nil || in.Status == db.StatusUninstalled || in.Status == db.StatusPurged {
		return fiber.NewError(fiber.StatusUnauthorized, "portal not installed")
	}
	allowFraming(c, in.ClientEndpoint)
	c.Locals(viewerKey, v)
	c.SetUserContext(views.WithLang(c.UserContext(), v.Lang))
	return c.Next()
}

func viewerOf(c *fiber.Ctx) viewer {
	v, _ := c.Locals(viewerKey).(viewer)
	return v
}

// requireAdmin guards every settings route on the server.
func (h *handlers) requireAdmin(c *fiber.Ctx) error {
	if !viewerOf(c).Admin {
		return h.problem(c, fiber.StatusForbidden, "error.admins_only")
	}
	return c.Next()
}
