package web

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/basicauth"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trailhq/trail/static"
)

// operatorPath is where the River UI lives, away from the pages Bitrix24 frames.
const operatorPath = "/ops/riverui"

// routes lists every route of the app in one place.
func routes(app *fiber.App, d Deps) {
	app.Use(recoverer(d.Log), requestLog(d.Log), measure(d.Metrics))

	app.Get("/healthz", healthz)
	app.Get("/readyz", readyz(d.Ready))
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(d.Metrics.Registry, promhttp.HandlerOpts{})))

	if d.RiverUI != nil && d.Config.OperatorPassword != "" {
		app.Use(operatorPath,
			basicauth.New(basicauth.Config{Users: map[string]string{"operator": d.Config.OperatorPassword}}),
			adaptor.HTTPHandler(d.RiverUI))
	}

	app.Get(static.Prefix+"*", staticAsset)
	app.Get("/", home)
}
