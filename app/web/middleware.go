package web

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/metrics"
)

// recoverer turns a panic into a 500 and keeps the process alive.
func recoverer(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(c.UserContext(), "panic in handler", "method", c.Method(), "path", c.Path(),
					"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fiber.NewError(fiber.StatusInternalServerError, "Internal Server Error")
			}
		}()
		return c.Next()
	}
}

// requestLog writes one line per request. It logs the path only: query
// strings can carry Bitrix24 tokens (auth=…).
func requestLog(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			// The error handler has not run yet; report what it will send.
			status = statusOf(err)
		}
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		log.Log(c.UserContext(), level, "request",
			"method", c.Method(), "path", c.Path(), "route", c.Route().Path,
			"status", status, "duration_ms", float64(time.Since(start).Microseconds())/1000,
			"bytes", len(c.Response().Body()))
		return err
	}
}

// measure records request counts and durations by route pattern, never by
// raw path, so the series stay bounded.
func measure(m *metrics.Metrics) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			status = statusOf(err)
		}
		route := c.Route().Path
		if status == fiber.StatusNotFound {
			route = "unmatched"
		}
		// Fiber's strings point into buffers reused by the next request; a
		// label value is kept for good, so it gets its own copy.
		method := strings.Clone(c.Method())
		route = strings.Clone(route)
		m.HTTPRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
		m.HTTPDuration.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
		return err
	}
}

func statusOf(err error) int {
	if fe, ok := err.(*fiber.Error); ok {
		return fe.Code
	}
	return fiber.StatusInternalServerError
}
