package web

import (
	"io"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// Every throttle keys on the address the proxy reports, when one is
// configured, and on the peer otherwise.
func TestClientAddress(t *testing.T) {
	for _, c := range []struct {
		header, sent, want string
	}{
		{"Fly-Client-IP", "203.0.113.7", "203.0.113.7"},
		{"Fly-Client-IP", "", "0.0.0.0"}, // no header: the peer (app.Test's)
		{"", "203.0.113.7", "0.0.0.0"},   // not configured: a client cannot choose its key
	} {
		app := fiber.New()
		app.Use(clientAddress(c.header))
		app.Get("/", func(ctx *fiber.Ctx) error { return ctx.SendString(clientOf(ctx)) })
		req := httptest.NewRequest("GET", "/", nil)
		if c.sent != "" {
			req.Header.Set("Fly-Client-IP", c.sent)
		}
		resp, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		if string(body) != c.want {
			t.Errorf("header %q, sent %q: address %q, want %q", c.header, c.sent, body, c.want)
		}
	}
}
