package web

import (
	"context"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/admin"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/lifecycle"
	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/app/refusals"
	"github.com/trailhq/trail/app/revert"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
	"github.com/trailhq/trail/views"
)

// handlers are the page handlers of people using Trail in a portal.
type handlers struct {
	DB       *db.DB
	Sessions *scs.SessionManager
	Clients  *portal.Clients
	// Lifecycle confirms and records installs and new grants.
	Lifecycle *lifecycle.Service
	Keys      *secret.KeyRing // seals renewal tickets and sign-in states
	BaseURL   string
	// PortalScheme is how portals are reached from a browser: https, or
	// http for the emulated portals of development.
	PortalScheme string
	// AdminRecheck is how long Bitrix24's word that the viewer is an
	// administrator holds before settings ask the page to renew its session.
	AdminRecheck time.Duration

	refused *refusals.Set // AUTH_IDs the portal refused, keyed by member_id and token
	admin   *admin.Service
	reverts *revert.Service
	bulk    *revert.Bulk
}

func newHandlers(d Deps) *handlers {
	h := &handlers{
		DB: d.DB, Sessions: d.Sessions, Clients: d.Clients, Lifecycle: d.Lifecycle, Keys: d.Config.Keys,
		BaseURL: d.Config.BaseURL.String(), PortalScheme: "https", AdminRecheck: d.Config.AdminRecheck,
		refused: refusals.New(refusedTTL, refusedMax),
		admin:   &admin.Service{DB: d.DB, Jobs: d.Jobs, Portals: d.Clients, BaseURL: d.Config.BaseURL.String()},
		reverts: &revert.Service{DB: d.DB, Clients: d.Clients},
		bulk: &revert.Bulk{DB: d.DB, Clients: d.Clients, Enqueue: func(ctx context.Context, tx db.Tx, portalID, bulkID int64) error {
			return jobs.EnqueueBulkRevert(ctx, tx, d.Jobs, portalID, bulkID)
		}},
	}
	if d.Config.Env == config.Development {
		h.PortalScheme = "http"
	}
	if h.AdminRecheck <= 0 {
		h.AdminRecheck = config.DefaultAdminRecheck
	}
	return h
}

// Keys of what requireViewer keeps for the request's handler.
const (
	viewerKey       = "trail.viewer"
	installationKey = "trail.installation"
)

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
	c.Locals(installationKey, in)
	c.SetUserContext(views.WithLang(c.UserContext(), v.Lang))
	return c.Next()
}

func viewerOf(c *fiber.Ctx) viewer {
	v, _ := c.Locals(viewerKey).(viewer)
	return v
}

// installationOf is the viewer's installation as requireViewer loaded it.
func installationOf(c *fiber.Ctx) *db.Installation {
	in, _ := c.Locals(installationKey).(*db.Installation)
	return in
}

// RenewHeader marks a 401 that asks the page to open a new session with a
// fresh Bitrix24 token (trail.js renews on every 401; the marker says why).
const RenewHeader = "X-Session-Renew"

// requireAdmin guards every settings route on the server. The admin flag
// is taken from the session only while it is fresh: an administrator
// demoted on the portal loses the settings within AdminRecheck, because
// the renewal asks user.admin again.
func (h *handlers) requireAdmin(c *fiber.Ctx) error {
	v := viewerOf(c)
	if !v.Admin {
		return h.problem(c, fiber.StatusForbidden, "error.admins_only")
	}
	if time.Since(v.AdminAt) > h.AdminRecheck {
		c.Set(RenewHeader, "admin")
		return fiber.NewError(fiber.StatusUnauthorized, "administrator rights need confirming")
	}
	return c.Next()
}
