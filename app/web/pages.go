package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/static"
	"github.com/trailhq/trail/views"
)

func home(c *fiber.Ctx) error {
	return views.Render(c, views.Home())
}

// staticAsset serves embedded files under their hashed names: the name
// changes with the content, so they can be cached for a year.
func staticAsset(c *fiber.Ctx) error {
	body, ctype, ok := static.Lookup(c.Params("*"))
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, ctype)
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.Send(body)
}
