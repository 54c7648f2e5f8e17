package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/b24/event"
	"github.com/trailhq/trail/app/lifecycle"
	"github.com/trailhq/trail/views"
)

// installPage handles the installer opened in the portal's iframe (the form
// carries AUTH_ID, REFRESH_ID, APPLICATION_TOKEN and member_id). The install
// takes effect only with an administrator's tokens (lifecycle.Install says
// when); the session it opens is that administrator's, as Bitrix24 said, and
// the page waits for setup before it tells the portal the installation is
// done. A refused install opens no session.
func (h *handlers) installPage(lc *lifecycle.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.SetUserContext(views.WithLang(c.UserContext(), c.Query("LANG", c.FormValue("LANG"))))
		a, err := lc.InstallFromPage(c.UserContext(), c.FormValue("member_id"), c.FormValue("REFRESH_ID"), c.FormValue("APPLICATION_TOKEN"), clientOf(c))
		switch {
		case errors.Is(err, event.ErrMalformed):
			return h.problem(c, fiber.StatusBadRequest, "install.failed")
		case errors.Is(err, lifecycle.ErrUnauthorized):
			return h.problem(c, fiber.StatusUnauthorized, "error.unauthorized")
		case errors.Is(err, lifecycle.ErrNotAdmin):
			return h.problem(c, fiber.StatusForbidden, "install.admins_only")
		case errors.Is(err, lifecycle.ErrThrottled):
			return h.problem(c, fiber.StatusTooManyRequests, "install.failed")
		case errors.Is(err, lifecycle.ErrUnavailable):
			return h.problem(c, fiber.StatusServiceUnavailable, "install.failed")
		case err != nil:
			return err
		}
		in := a.Installation
		allowFraming(c, in.ClientEndpoint)
		v := viewer{PortalID: in.ID, MemberID: in.MemberID, UserID: a.UserID, Admin: a.Admin, Lang: views.LangOf(c.UserContext())}
		token, err := startSession(h.Sessions, h.Keys, c, v)
		if err != nil {
			return err
		}
		return views.Render(c, views.Install(views.FrameSession{Token: token, MemberID: in.MemberID}))
	}
}

// installStatus tells the installer page whether setup has finished.
func (h *handlers) installStatus(c *fiber.Ctx) error {
	done, err := h.admin.SetupDone(c.UserContext(), installationOf(c).ID)
	if err != nil {
		return err
	}
	return views.Render(c, views.InstallStatus(done))
}
