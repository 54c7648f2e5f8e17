package web

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// Sign-in with Bitrix24 (authorization-code flow), for opening Trail's
// admin pages outside the portal. Without cookies, the state that ties the
// callback to the sign-in it answers is sealed with Trail's key ring: it
// names the portal and expires, and nobody else can make one.

const loginStateTTL = 10 * time.Minute

// login starts the flow (a domain given) or finishes it (a code given).
func (h *handlers) login(keys *secret.KeyRing, clientID string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.SetUserContext(views.WithLang(c.UserContext(), c.Query("lang")))
		if code := c.Query("code"); code != "" {
			return h.loginCallback(c, keys, code)
		}
		domain := strings.ToLower(strings.TrimSpace(c.FormValue("domain", c.Query("domain"))))
		if domain == "" {
			return h.problem(c, fiber.StatusBadRequest, "error.not_installed")
		}
		in, err := db.InstallationByDomain(c.UserContext(), h.DB.Bun, domain)
		if errors.Is(err, db.ErrNotFound) {
			return h.problem(c, fiber.StatusNotFound, "error.not_installed")
		}
		if err != nil {
			return err
		}
		// The browser goes to the portal Trail has stored, whatever spelling
		// the form used.
		u, err := url.Parse(in.ClientEndpoint)
		if err != nil {
			return err
		}
		state := sealState(keys, in.MemberID, time.Now().Add(loginStateTTL))
		target := u.Scheme + "://" + u.Host + "/oauth/authorize/?" + url.Values{"client_id": {clientID}, "state": {state}}.Encode()
		return c.Redirect(target, fiber.StatusFound)
	}
}

func (h *handlers) loginCallback(c *fiber.Ctx, keys *secret.KeyRing, code string) error {
	member, ok := openState(keys, c.Query("state"), time.Now())
	if !ok || member != c.Query("member_id") {
		return h.problem(c, fiber.StatusUnauthorized, "error.unauthorized")
	}
	t, err := h.Clients.App().Exchange(c.UserContext(), code)
	if err != nil || t.MemberID != member {
		return h.problem(c, fiber.StatusUnauthorized, "error.unauthorized")
	}
	w, err := h.verify(c.UserContext(), member, t.AccessToken, c.Query("lang"), "", 0)
	if err != nil {
		return h.entryError(c, err)
	}
	if !w.viewer.Admin {
		return h.problem(c, fiber.StatusForbidden, "error.admins_only")
	}
	token, err := startSession(h.Sessions, c, w.viewer)
	if err != nil {
		return err
	}
	c.Locals(viewerKey, w.viewer)
	return h.settingsPage(c, w.in, views.FrameSession{Token: token, MemberID: w.in.MemberID})
}

func sealState(keys *secret.KeyRing, member string, exp time.Time) string {
	payload := member + "|" + strconv.FormatInt(exp.Unix(), 10)
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
	member, expText, ok := strings.Cut(string(plain), "|")
	exp, err := strconv.ParseInt(expText, 10, 64)
	if !ok || err != nil || now.Unix() > exp {
		return "", false
	}
	return member, true
}
