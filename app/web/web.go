// Package web is Trail's HTTP face: the Fiber app, its middleware and its
// handlers. Handlers stay thin: parse, call one thing, render.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/lifecycle"
	"github.com/trailhq/trail/app/metrics"
	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/jobs"
)

// Deps are what the handlers need; everything is passed in, nothing global.
type Deps struct {
	Config  *config.Config
	Log     *slog.Logger
	DB      *db.DB
	Metrics *metrics.Metrics
	// Ready reports whether the app can serve traffic (database reachable,
	// migrations at head). Nil means always ready.
	Ready func(context.Context) error
	// Lifecycle verifies and records what portals send; nil leaves the
	// /bitrix/* handlers off (tests of the bare app).
	Lifecycle *lifecycle.Service
	// Sessions, Clients and Jobs serve the pages people use inside the
	// portal; nil Sessions leaves those routes off.
	Sessions *scs.SessionManager
	Clients  *portal.Clients
	Jobs     *jobs.Client
	// RiverUI is the job dashboard, mounted for operators; nil leaves it off.
	RiverUI http.Handler
}

// New builds the Fiber app with every route.
func New(d Deps) *fiber.App {
	app := fiber.New(fiber.Config{
		AppName:               "trail",
		BodyLimit:             d.Config.BodyLimit,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           90 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler(d.Log),
	})
	routes(app, d)
	return app
}

// errorHandler turns every error a handler returns into one response and at
// most one log line. Users see a short status text, never internals.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		code := fiber.StatusInternalServerError
		msg := "Internal Server Error"
		var fe *fiber.Error
		if errors.As(err, &fe) {
			code, msg = fe.Code, fe.Message
		}
		if code >= 500 {
			log.ErrorContext(c.UserContext(), "request failed", "method", c.Method(), "path", c.Path(), "status", code, "err", err)
		}
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(code).SendString(msg)
	}
}
