package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// healthz says the process is alive; it touches nothing else.
func healthz(c *fiber.Ctx) error {
	return c.SendString("ok")
}

// readyz says whether this instance can serve: the database answers and its
// schema is at head. Load balancers stop sending traffic while it is not.
func readyz(ready func(context.Context) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if ready == nil {
			return c.SendString("ready")
		}
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			return c.Status(fiber.StatusServiceUnavailable).SendString("not ready: " + err.Error())
		}
		return c.SendString("ready")
	}
}
