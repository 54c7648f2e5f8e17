package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/basicauth"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/static"
)

// operatorPath is where the River UI lives, away from the pages Bitrix24 frames.
const operatorPath = "/ops/riverui"

// routes lists every route of the app in one place.
func routes(app *fiber.App, d Deps) {
	app.Use(recoverer(d.Log), requestLog(d.Log), measure(d.Metrics), securityHeaders(d.Config.Env == config.Production))

	app.Get("/healthz", healthz)
	app.Get("/readyz", readyz(d.Ready))
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(d.Metrics.Registry, promhttp.HandlerOpts{})))

	if d.RiverUI != nil && d.Config.OperatorPassword != "" {
		app.Use(operatorPath,
			basicauth.New(basicauth.Config{Users: map[string]string{"operator": d.Config.OperatorPassword}}),
			adaptor.HTTPHandler(d.RiverUI))
	}

	// Before the session groups below: their middleware is mounted on every
	// path, and assets and the home page must not need a session.
	app.Get(static.Prefix+"*", staticAsset)
	app.Get("/", home)

	if d.Lifecycle != nil {
		app.Post("/bitrix/uninstall", uninstallEvent(d.Lifecycle))
		app.Post("/bitrix/events", receiveEvent(d.Lifecycle))
	}

	if d.Sessions != nil {
		h := &handlers{DB: d.DB, Sessions: d.Sessions, Clients: d.Clients, Jobs: d.Jobs, Lifecycle: d.Lifecycle, BaseURL: d.Config.BaseURL.String()}
		frame := app.Group("", sessions(d.Sessions))
		// One URL for both install flavours: the ONAPPINSTALL event form and
		// the installer page the portal opens in its iframe.
		frame.Post("/bitrix/install", func(c *fiber.Ctx) error {
			if c.FormValue("AUTH_ID") != "" && c.FormValue("event") == "" {
				return h.installPage(d.Lifecycle)(c)
			}
			return installEvent(d.Lifecycle)(c)
		})
		// Bitrix24 POSTs into the iframe: a CRM tab, the app's page.
		frame.Post("/bitrix/tab", h.enter)
		frame.Post("/bitrix/app", h.enter)
		frame.Post("/bitrix/session", h.renewSession)
		if d.Config.Keys != nil {
			login := h.login(d.Config.Keys, d.Config.ClientID)
			frame.Get("/bitrix/login", login)
			frame.Post("/bitrix/login", login)
		}

		user := frame.Group("", h.requireViewer)
		user.Get("/bitrix/install/status", h.installStatus)
		user.Get("/tab/:entity/:id/entries", h.tabEntries)
		user.Get("/tab/:entity/:id/export.csv", h.tabExport)
		h.settingsRoutes(user.Group("/settings", h.requireAdmin))
	}
}
