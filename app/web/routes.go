package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/basicauth"

	"github.com/trailhq/trail/app/bindings"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/static"
)

// operatorPath is where the River UI lives, away from the pages Bitrix24 frames.
const operatorPath = "/ops/riverui"

// routes lists every route of the app in one place.
func routes(app *fiber.App, d Deps) {
	app.Use(recoverer(d.Log), clientAddress(d.Config.ClientIPHeader), requestLog(d.Log), measure(d.Metrics), securityHeaders(d.Config.Env == config.Production))

	app.Get("/healthz", healthz)
	app.Get("/readyz", readyz(d.Ready))

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
		app.Post(bindings.Uninstall, uninstallEvent(d.Lifecycle))
		app.Post(bindings.Events, receiveEvent(d.Lifecycle))
	}

	if d.Sessions != nil {
		h := newHandlers(d)
		frame := app.Group("", sessions(d.Sessions))
		// One URL for both install flavours: the ONAPPINSTALL event form and
		// the installer page the portal opens in its iframe.
		frame.Post(bindings.Install, func(c *fiber.Ctx) error {
			if c.FormValue("AUTH_ID") != "" && c.FormValue("event") == "" {
				return h.installPage(d.Lifecycle)(c)
			}
			return installEvent(d.Lifecycle)(c)
		})
		// Bitrix24 POSTs into the iframe: a CRM tab, the app's page. These
		// entry points are open to anybody: throttled per client address
		// and checked for malformed fields before anything else.
		throttle := h.throttleEntry()
		frame.Post(bindings.Tab, throttle, wellFormed, h.enter)
		frame.Post(bindings.App, throttle, wellFormed, h.enter)
		frame.Post(bindings.Session, throttle, wellFormed, h.renewSession)
		if d.Config.Keys != nil {
			login := h.login(d.Config.Keys, d.Config.ClientID)
			frame.Get(bindings.Login, throttle, wellFormed, login)
			frame.Post(bindings.Login, throttle, wellFormed, login)
		}

		// requireViewer is set per route, not on a group mounted at "/": a
		// path Trail does not serve answers 404, not 401.
		frame.Get(bindings.InstallStatus, h.requireViewer, h.installStatus)
		frame.Get("/tab/:entity/:id/entries", h.requireViewer, h.tabEntries)
		frame.Get("/tab/:entity/:id/export.csv", h.requireViewer, h.tabExport)
		frame.Get("/tab/:entity/:id/asof", h.requireViewer, h.tabAsOf)
		frame.Get("/tab/:entity/:id/compare", h.requireViewer, h.tabCompare)
		frame.Get("/tab/:entity/:id/file/:field/:file", h.requireViewer, h.tabFile)
		frame.Get("/tab/:entity/:id/revert/:change", h.requireViewer, h.tabRevertPreview)
		frame.Post("/tab/:entity/:id/revert/:change", h.requireViewer, wellFormed, h.tabRevert)
		frame.Get("/tab/:entity/:id/restore", h.requireViewer, h.tabRestorePreview)
		frame.Post("/tab/:entity/:id/restore", h.requireViewer, wellFormed, h.tabRestore)
		h.settingsRoutes(frame.Group("/settings", h.requireViewer, h.requireAdmin))
		h.peopleDeletedRoutes(frame.Group("/deleted", h.requireViewer))
	}
}
