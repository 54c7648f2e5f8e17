package web

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/b24/event"
	"github.com/trailhq/trail/app/lifecycle"
)

// Handlers for what portals POST to Trail. Each answers fast: verification
// and one transaction, never a REST call to the portal for CRM events.
// Installs and updates are confirmed with the authorization server and the
// portal before anything is stored; an uninstall is confirmed by a job.

func installEvent(lc *lifecycle.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := parseEvent(c)
		if err != nil {
			return err
		}
		if e.Name != event.AppInstall {
			return fiber.NewError(fiber.StatusBadRequest, "expected ONAPPINSTALL")
		}
		if _, err := lc.Install(c.UserContext(), e, clientOf(c)); err != nil {
			return lifecycleError(err)
		}
		return c.SendString("OK")
	}
}

func uninstallEvent(lc *lifecycle.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := parseEvent(c)
		if err != nil {
			return err
		}
		if e.Name != event.AppUninstall {
			return fiber.NewError(fiber.StatusBadRequest, "expected ONAPPUNINSTALL")
		}
		if err := lc.Uninstall(c.UserContext(), e); err != nil {
			return lifecycleError(err)
		}
		return c.SendString("OK")
	}
}

func receiveEvent(lc *lifecycle.Service) fiber.Handler {
	return func(c *fiber.Ctx) error {
		e, err := parseEvent(c)
		if err != nil {
			return err
		}
		if err := lc.Receive(c.UserContext(), e, clientOf(c)); err != nil {
			return lifecycleError(err)
		}
		return c.SendString("OK")
	}
}

// parseEvent reads the form body (url-encoded or multipart) of an event.
func parseEvent(c *fiber.Ctx) (*event.Event, error) {
	form := url.Values{}
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	switch {
	case strings.HasPrefix(ct, fiber.MIMEApplicationForm):
		c.Request().PostArgs().VisitAll(func(k, v []byte) { form.Add(string(k), string(v)) })
	case strings.HasPrefix(ct, fiber.MIMEMultipartForm):
		mf, err := c.MultipartForm()
		if err != nil {
			return nil, fiber.NewError(fiber.StatusBadRequest, "malformed multipart body")
		}
		for k, vs := range mf.Value {
			form[k] = append(form[k], vs...)
		}
	default:
		return nil, fiber.NewError(fiber.StatusUnsupportedMediaType, "expected a form body")
	}
	e, err := event.Parse(form)
	if err != nil {
		return nil, fiber.NewError(fiber.StatusBadRequest, err.Error())
	}
	return e, nil
}

// lifecycleError maps lifecycle outcomes to statuses; the error handler
// logs the 5xx ones.
func lifecycleError(err error) error {
	switch {
	case errors.Is(err, event.ErrMalformed):
		return fiber.NewError(fiber.StatusBadRequest, err.Error())
	case errors.Is(err, lifecycle.ErrUnauthorized):
		return fiber.NewError(fiber.StatusUnauthorized, "not authorised")
	case errors.Is(err, lifecycle.ErrNotAdmin):
		return fiber.NewError(fiber.StatusForbidden, "only a portal administrator can do this")
	case errors.Is(err, lifecycle.ErrThrottled):
		return fiber.NewError(fiber.StatusTooManyRequests, "too many attempts, try again later")
	case errors.Is(err, lifecycle.ErrUnavailable):
		return fiber.NewError(fiber.StatusServiceUnavailable, "authorization server unavailable, try again")
	}
	return err
}
