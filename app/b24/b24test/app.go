package b24test

import (
	"errors"
	"fmt"
	"strings"
)

// App is the application registered with the emulated marketplace: the
// fields of its version card.
type App struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	Code         string   `json:"code"`    // e.g. "vendor.trail"
	Version      int      `json:"version"` // default 1
	Scopes       []string `json:"scopes"`  // e.g. crm, placement, user_brief
	// AppURL is the app's main page (placement DEFAULT).
	AppURL string `json:"app_url"`
	// InstallURL is the installer page shown in the portal's iframe. When
	// set, installation completes only through Portal.CompleteInstall (the
	// frame's installFinish). When empty the app has no UI installer and
	// is installed at once.
	InstallURL string `json:"install_url"`
	// InstallHandlerURL receives ONAPPINSTALL ("Installation event
	// handler URL").
	InstallHandlerURL string `json:"install_handler_url"`
	// RedirectURI is where /oauth/authorize/ sends the browser; default
	// AppURL.
	RedirectURI string `json:"redirect_uri"`
}

// RegisterApp registers (or replaces) the application. Portals it is
// already installed on keep their installations.
func (s *Server) RegisterApp(a App) {
	if a.Version == 0 {
		a.Version = 1
	}
	if a.Code == "" {
		a.Code = "local." + a.ClientID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.app = &a
}

// registeredApp returns a copy of the app, or nil.
func (s *Server) registeredApp() *App {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.app == nil {
		return nil
	}
	a := *s.app
	return &a
}

// App returns the registered application, if any.
func (s *Server) App() (App, bool) {
	if a := s.registeredApp(); a != nil {
		return *a, true
	}
	return App{}, false
}

func (s *Server) appScopes() []string {
	if a := s.registeredApp(); a != nil {
		return a.Scopes
	}
	return nil
}

// installation is the app installed on one portal.
type installation struct {
	appToken   string
	version    int // the app version installed here; Update raises it
	complete   bool
	finished   bool // ONAPPINSTALL sent
	bindings   []*binding
	nextBindID int
	placements []*placementBinding
	offline    offlineQueue
}

// ErrNoApp is returned by lifecycle calls made before RegisterApp.
var ErrNoApp = errors.New("b24test: no application registered")

// ErrNotInstalled is returned when the app is not installed on the portal.
var ErrNotInstalled = errors.New("b24test: application not installed on the portal")

// Install installs the registered app on the portal as its administrator
// would. Without an InstallURL the installation is complete at once and
// ONAPPINSTALL goes to the InstallHandlerURL; with one, it stays pending
// (INSTALLED false, no events) until CompleteInstall. It returns the
// installation's application_token.
func (p *Portal) Install() (string, error) {
	a := p.srv.registeredApp()
	if a == nil {
		return "", ErrNoApp
	}
	p.mu.Lock()
	// A reinstall gets a new application_token, as every install does.
	inst := &installation{appToken: randomHex(16), version: a.Version, nextBindID: 1}
	p.inst = inst
	p.mu.Unlock()
	if a.InstallURL == "" {
		return inst.appToken, p.CompleteInstall()
	}
	return inst.appToken, nil
}

// CompleteInstall finishes a pending installation, as the installer
// frame's installFinish does, and sends ONAPPINSTALL (with the admin's
// tokens) to the InstallHandlerURL and to handlers bound to it. Calling it
// on a complete installation does nothing: installFinish works once.
func (p *Portal) CompleteInstall() error {
	a := p.srv.registeredApp()
	if a == nil {
		return ErrNoApp
	}
	p.mu.Lock()
	inst := p.inst
	if inst == nil {
		p.mu.Unlock()
		return ErrNotInstalled
	}
	if inst.complete && inst.finished {
		p.mu.Unlock()
		return nil
	}
	inst.complete, inst.finished = true, true
	targets := p.onlineTargets("ONAPPINSTALL")
	version := inst.version
	p.mu.Unlock()
	if a.InstallHandlerURL != "" {
		targets = append([]target{{url: a.InstallHandlerURL}}, targets...)
	}
	data := [][2]string{{"data[VERSION]", fmt.Sprint(version)}, {"data[ACTIVE]", "Y"}, {"data[INSTALLED]", "Y"}, {"data[LANGUAGE_ID]", p.languageOf(p.user(adminID))}}
	for _, t := range targets {
		p.send(t, "ONAPPINSTALL", data, p.user(adminID), authLifecycle)
	}
	return nil
}

// Installed reports whether the app's installation is complete.
func (p *Portal) Installed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inst != nil && p.inst.complete
}

// ApplicationToken is the current installation's application_token.
func (p *Portal) ApplicationToken() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inst == nil {
		return ""
	}
	return p.inst.appToken
}

// Uninstall removes the app: bindings, placements and every token of the
// portal die, then ONAPPUNINSTALL (no tokens, data[CLEAN]) goes to the
// handlers that were bound to it.
func (p *Portal) Uninstall(clean bool) error {
	p.mu.Lock()
	inst := p.inst
	if inst == nil {
		p.mu.Unlock()
		return ErrNotInstalled
	}
	targets := p.onlineTargets("ONAPPUNINSTALL")
	p.inst = nil
	p.mu.Unlock()
	p.srv.revokePortalTokens(p)
	data := [][2]string{{"data[LANGUAGE_ID]", p.languageOf(p.user(adminID))}, {"data[CLEAN]", map[bool]string{true: "1", false: "0"}[clean]}}
	for _, t := range targets {
		t.authType = 0 // the tokens are gone
		p.sendAs(t, "ONAPPUNINSTALL", data, nil, authUninstall, inst.appToken)
	}
	return nil
}

// Update installs the next version of the app on the portal, as its
// administrator does: the installation gets a new application_token and
// version (app.info reports it), its bindings are kept, and ONAPPUPDATE
// with the administrator's tokens goes to the handlers bound to it. It
// returns the new application_token.
func (p *Portal) Update() (string, error) {
	if p.srv.registeredApp() == nil {
		return "", ErrNoApp
	}
	p.mu.Lock()
	inst := p.inst
	if inst == nil || !inst.complete {
		p.mu.Unlock()
		return "", ErrNotInstalled
	}
	prev := inst.version
	inst.version++
	inst.appToken = randomHex(16)
	tok, version := inst.appToken, inst.version
	targets := p.onlineTargets("ONAPPUPDATE")
	p.mu.Unlock()
	data := [][2]string{{"data[VERSION]", fmt.Sprint(version)}, {"data[PREVIOUS_VERSION]", fmt.Sprint(prev)}, {"data[LANGUAGE_ID]", p.languageOf(p.user(adminID))}}
	for _, t := range targets {
		p.send(t, "ONAPPUPDATE", data, p.user(adminID), authLifecycle)
	}
	return tok, nil
}

// IssueTokens returns a fresh token pair for a user, as the portal hands
// them to the app's frame.
func (p *Portal) IssueTokens(userID int) (Tokens, error) {
	if p.user(userID) == nil {
		return Tokens{}, fmt.Errorf("b24test: portal %s has no user %d", p.name, userID)
	}
	p.mu.Lock()
	installed := p.inst != nil
	p.mu.Unlock()
	if !installed {
		return Tokens{}, ErrNotInstalled
	}
	p.srv.mu.Lock()
	defer p.srv.mu.Unlock()
	return p.srv.issueLocked(p, userID), nil
}

// ExpireTokens makes every access token of the portal expired now (early
// expiry); refresh tokens keep working.
func (p *Portal) ExpireTokens() { p.srv.expirePortalTokens(p) }

// RevokeTokens makes every access and refresh token of the portal invalid.
func (p *Portal) RevokeTokens() { p.srv.revokePortalTokens(p) }

// appVersion is the version installed on the portal, else the app's.
func (p *Portal) appVersion(a *App) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inst != nil {
		return p.inst.version
	}
	return a.Version
}

func methodAppInfo(c *call) (callResult, *apiError) {
	a := c.srv.registeredApp()
	if a == nil {
		return callResult{}, errAppContext
	}
	installed, version := c.portal.Installed(), c.portal.appVersion(a)
	return ok(objOf(
		"ID", 1,
		"CODE", a.Code,
		"VERSION", version,
		"STATUS", "F",
		"INSTALLED", installed,
		"PAYMENT_EXPIRED", "N",
		"DAYS", nil,
		"LANGUAGE_ID", c.portal.Language(),
		"LICENSE", "en_project",
		"LICENSE_TYPE", "project",
		"LICENSE_FAMILY", "project",
	))
}

func scopeString(scopes []string) string { return strings.Join(scopes, ",") }
