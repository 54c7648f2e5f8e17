// Package views holds Trail's templ components. Components take their data as
// parameters and never touch the database.
package views

import (
	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
)

// Render writes comp as the HTML response, with the request's context so
// components can read cross-cutting values (language, session).
func Render(c *fiber.Ctx, comp templ.Component) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return comp.Render(c.UserContext(), c.Response().BodyWriter())
}
