package b24test

import (
	"net/http"
)

// appPagePath is the registered app's page; the emulator has one app, and
// app.info reports it as ID 1.
const appPagePath = "/marketplace/app/1/"

func appTitle(a *App) string {
	if a.Code != "" {
		return a.Code
	}
	return "Application"
}

// appPage is the content of the app page.
type appPage struct {
	Title      string
	Installing bool // the installer is shown
	CanInstall bool // not installed; the user is an administrator
	Note       string
	Frame      *frameView
}

// serveAppPage opens the app's main page (placement DEFAULT), or its
// installer while the installation is pending.
func serveAppPage(w http.ResponseWriter, r *http.Request) {
	ui := uiFrom(r)
	if r.PathValue("id") != "1" {
		ui.message(w, r, http.StatusNotFound, "Not found", "There is no such application.")
		return
	}
	a := ui.srv.registeredApp()
	if a == nil {
		ui.message(w, r, http.StatusNotFound, "No application", "No application is registered with the marketplace.")
		return
	}
	p := ui.portal
	ap := appPage{Title: appTitle(a)}
	p.mu.Lock()
	present := p.inst != nil
	p.mu.Unlock()
	complete := p.Installed()
	handler := a.AppURL
	switch {
	case !present && ui.user.admin.Load():
		ap.CanInstall = true
		ap.Note = "The application is not installed on this portal."
	case !present:
		ap.Note = "The application is not installed on this portal. Ask your administrator to install it."
	case !complete && ui.user.admin.Load():
		ap.Installing = true
		handler = a.InstallURL
	case !complete:
		ap.Note = "The application is not fully installed. Ask your administrator to finish the installation."
	}
	if present && (complete || ap.Installing) {
		fv, err := ui.openFrame(handler, "DEFAULT", "{}", ap.Installing)
		if err != nil {
			ap.Note = err.Error()
		}
		ap.Frame = fv
	}
	render(w, http.StatusOK, "app", ui.page(r, ap.Title, "app", ap))
}

// installFromPage installs the registered app as the administrator does
// from the marketplace; with an installer URL the installation stays
// pending until the installer frame calls installFinish.
func installFromPage(w http.ResponseWriter, r *http.Request) {
	ui := uiFrom(r)
	if !ui.user.admin.Load() {
		ui.message(w, r, http.StatusForbidden, "Access denied", "Only an administrator may install applications.")
		return
	}
	p := ui.portal
	p.mu.Lock()
	present := p.inst != nil
	p.mu.Unlock()
	if present {
		http.Redirect(w, r, appPagePath, http.StatusSeeOther)
		return
	}
	if _, err := p.Install(); err != nil {
		ui.message(w, r, http.StatusConflict, "Installation failed", err.Error())
		return
	}
	http.Redirect(w, r, appPagePath, http.StatusSeeOther)
}
