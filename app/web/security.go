package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// securityHeaders sets the headers every response gets. Pages framed by a
// portal add their own frame-ancestors (framePolicy); X-Frame-Options is
// never sent, since no value of it allows a cross-origin portal.
func securityHeaders(production bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		c.Set(fiber.HeaderReferrerPolicy, "strict-origin-when-cross-origin")
		c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		c.Set("Cross-Origin-Opener-Policy", "same-origin-allow-popups")
		if production {
			c.Set(fiber.HeaderStrictTransportSecurity, "max-age=31536000; includeSubDomains")
		}
		c.Set(fiber.HeaderContentSecurityPolicy, csp("'none'"))
		return c.Next()
	}
}

// csp is the policy of Trail's pages: scripts and styles only from Trail's
// own embedded files (no inline code), images also from the portal (user
// photos), and framing only by ancestors.
func csp(ancestors string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; " +
		"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
		"frame-ancestors " + ancestors
}

// allowFraming lets exactly the installation's portal frame the response.
func allowFraming(c *fiber.Ctx, clientEndpoint string) {
	if o := origin(clientEndpoint); o != "" {
		c.Set(fiber.HeaderContentSecurityPolicy, csp(o))
	}
}

// origin returns scheme://host[:port] of a URL, or "".
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || strings.ContainsAny(u.Host, " ;'\"") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
