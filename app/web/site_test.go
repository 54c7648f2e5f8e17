package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/installtest"
	"github.com/trailhq/trail/app/metrics"
	"github.com/trailhq/trail/db"
)

// site is the whole app over Trail installed on an emulated portal
// (portal 0; portal 1 has the app registered, not installed in Trail).
type site struct {
	*installtest.Env
	app    *fiber.App
	in     *db.Installation
	portal *b24test.Portal
}

func newSite(t *testing.T) *site {
	t.Helper()
	env, in := installtest.Installed(t)
	base, _ := url.Parse(installtest.BaseURL)
	cfg := &config.Config{
		Env: config.Development, BaseURL: base, BodyLimit: 1 << 20, Keys: env.Keys, ClientID: installtest.ClientID,
	}
	app := New(Deps{
		Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: env.DB, Metrics: metrics.New(),
		Lifecycle: env.Lifecycle, Sessions: NewSessions(env.DB), Clients: env.Clients, Jobs: env.Jobs,
	})
	return &site{Env: env, app: app, in: in, portal: env.Portal(0)}
}

// answer is a response with its body read.
type answer struct {
	status int
	header http.Header
	body   string
}

func (s *site) do(t *testing.T, method, path, token string, form url.Values) answer {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set(SessionHeader, token)
	}
	resp, b := do(t, s.app, req)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

var (
	sessionAttr = regexp.MustCompile(`data-session="([^"]+)"`)
	renewalAttr = regexp.MustCompile(`data-renewal="([^"]+)"`)
)

// enter opens a frame as the portal does: a POST with the user's token.
// It returns the answer and the session token the page got, if any.
func (s *site) enter(t *testing.T, path string, userID int, placement, options string) (answer, string) {
	t.Helper()
	tok := s.Tokens(t, s.portal, userID)
	a := s.do(t, "POST", path, "", url.Values{
		"AUTH_ID": {tok.AccessToken}, "REFRESH_ID": {tok.RefreshToken}, "member_id": {s.portal.MemberID()},
		"APPLICATION_TOKEN": {s.portal.ApplicationToken()}, "PLACEMENT": {placement}, "PLACEMENT_OPTIONS": {options},
		"DOMAIN": {"forged.example"},
	})
	m := sessionAttr.FindStringSubmatch(a.body)
	if m == nil {
		return a, ""
	}
	return a, m[1]
}

// admin opens the settings page as the portal's administrator.
func (s *site) admin(t *testing.T) string {
	t.Helper()
	a, token := s.enter(t, "/bitrix/app", s.portal.AdminID(), "DEFAULT", "")
	if a.status != 200 || token == "" {
		t.Fatalf("the admin's settings page: %d %.300s", a.status, a.body)
	}
	return token
}

func (a answer) want(t *testing.T, status int, contains ...string) {
	t.Helper()
	if a.status != status {
		t.Errorf("status %d, want %d: %.300s", a.status, status, a.body)
	}
	for _, c := range contains {
		if !strings.Contains(a.body, c) {
			t.Errorf("answer lacks %q: %.500s", c, a.body)
		}
	}
}
