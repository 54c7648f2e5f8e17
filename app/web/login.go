package web

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/views"
)

// Sign-in with Bitrix24 (authorization-code flow), for opening Trail's
// admin pages outside the portal. Without cookies, the state that ties the
// callback to the sign-in it answers is sealed with Trail's key ring: it
// names the portal's domain and expires, and nobody else can make one.
//
// Starting a sign-in answers the same way for every well-formed domain,
// whether Trail is installed there or not (otherwise the answer would tell
// anybody which portals use Trail): a redirect to that portal's authorize
// page, found without looking at Trail's data. The callback then fails
// cleanly for a portal without Trail.
// https://apidocs.bitrix24.com/settings/oauth/index.html

const loginStateTTL = 10 * time.Minute

// login starts the flow (a domain given) or finishes it (a code given).
func (h *handlers) login(keys *secret.KeyRing, clientID string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.SetUserContext(views.WithLang(c.UserContext(), c.Query("lang")))
		if code := c.Query("code"); code != "" {
			return h.loginCallback(c, keys, code)
		}
		domain, ok := portalDomain(c.FormValue("domain", c.Query("domain")))
		if !ok {
			return h.problem(c, fiber.StatusBadRequest, "error.bad_domain")
		}
		state := sealState(keys, domain, time.Now().Add(loginStateTTL))
		target := h.PortalScheme + "://" + domain + "/oauth/authorize/?" + url.Values{"client_id": {clientID}, "state": {state}}.Encode()
		return c.Redirect(target, fiber.StatusFound)
	}
}

// portalDomain normalises a typed portal domain (a host name with an
// optional port); ok is false when it cannot be one.
func portalDomain(s string) (string, bool) {
	d := strings.ToLower(strings.TrimSpace(s))
	host, port, hasPort := strings.Cut(d, ":")
	if hasPort {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return "", false
		}
	}
	if host == "" || len(host) > 253 || !strings.Contains(host, ".") {
		return "", false
	}
	for _, label := range strings.Split(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			if b := label[i]; !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-') {
				return "", false
			}
		}
	}
	return d, true
}

func (h *handlers) loginCallback(c *fiber.Ctx, keys *secret.KeyRing, code string) error {
	domain, ok := openState(keys, c.Query("state"), time.Now())
	if !ok {
		return h.problem(c, fiber.StatusUnauthorized, "error.unauthorized")
	}
	t, err := h.Clients.App().Exchange(c.UserContext(), code)
	if err != nil || t.MemberID == "" {
		return h.problem(c, fiber.StatusUnauthorized, "error.unauthorized")
	}
	// The OAuth server, not the query string, says which portal signed in;
	// it must be the one the sign-in was started for.
	in, err := h.installation(c.UserContext(), t.MemberID)
	if err != nil {
		return h.entryError(c, err)
	}
	if !strings.EqualFold(in.Domain, domain) {
		return h.problem(c, fiber.StatusUnauthorized, "error.unauthorized")
	}
	w, err := h.verify(c.UserContext(), in, t.AccessToken, c.Query("lang"), "", 0)
	if err != nil {
		return h.entryError(c, err)
	}
	if !w.viewer.Admin {
		return h.problem(c, fiber.StatusForbidden, "error.admins_only")
	}
	token, err := startSession(h.Sessions, h.Keys, c, w.viewer)
	if err != nil {
		return err
	}
	c.Locals(viewerKey, w.viewer)
	return h.settingsPage(c, w.in, views.FrameSession{Token: token, MemberID: w.in.MemberID, Renewal: h.renewalTicket(w.viewer)})
}

func sealState(keys *secret.KeyRing, domain string, exp time.Time) string {
	payload := domain + "|" + strconv.FormatInt(exp.Unix(), 10)
	return base64.RawURLEncoding.EncodeToString(keys.Seal([]byte(payload), []byte("login-state")))
}

func openState(keys *secret.KeyRing, state string, now time.Time) (string, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(state)
	if err != nil {
		return "", false
	}
	plain, err := keys.Open(raw, []byte("login-state"))
	if err != nil {
		return "", false
	}
	domain, expText, ok := strings.Cut(string(plain), "|")
	exp, err := strconv.ParseInt(expText, 10, 64)
	if !ok || err != nil || now.Unix() > exp {
		return "", false
	}
	return domain, true
}
