package b24test

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// The portal's own web pages: a small Bitrix24-looking UI on every portal
// host (http://{domain}/) with CRM lists, record cards with an edit form,
// detail tabs and the app page that embed the application in iframes, and
// the parent side of the frame ⇄ parent postMessage protocol (ui/frame.js).
//
//	GET  /                                   → /crm/deal/list/
//	GET  /crm/{entity}/list/?page=N          record list, 50 a page
//	GET  /crm/{entity}/details/{id}/?tab=N   record card; tab N is the Nth CRM_{ENTITY}_DETAIL_TAB;
//	                                         id 0 is the form for a new record
//	POST /crm/{entity}/details/{id}/         save the edit form (fires the events); id 0 adds
//	POST /crm/{entity}/details/{id}/delete   delete the record (fires the events)
//	GET  /crm/type/{type}/list/category/0/   items of an estimate, smart invoice or smart process
//	GET  /crm/type/{type}/details/{id}/      an item's card; id 0 is the form for a new item
//	POST /crm/type/{type}/details/{id}/      save the item's form; …/delete deletes it
//	     /crm/record/{type}/{id}/…           a card's sections: rows, contacts, files, move
//	                                         (portal_ui_sections.go)
//	GET  /marketplace/app/1/                 the app (placement DEFAULT) or its installer
//	POST /marketplace/app/1/install          install the registered app (admin)
//	POST /_portal/user                       switch the logged-in user (cookie)
//	POST /_portal/lang                       {lang, zone} of the logged-in user
//	POST /_portal/refresh-auth               {"app_sid"} → fresh AUTH_ID/REFRESH_ID/AUTH_EXPIRES
//	POST /_portal/install-finish             {"app_sid"} → completes a pending installation
//	POST /_portal/option                     {"app_sid","kind":"app|user|install","name","value"}
//	GET  /_portal/static/{file}              CSS and the frame responder
//
// Any page accepts ?user=N, which logs that user in (sets the cookie).

//go:embed ui
var uiFiles embed.FS

// userCookie holds the logged-in user's id on the portal host.
const userCookie = "B24_EMU_USER"

// pageTemplates are the pages, each parsed together with the layout.
var pageTemplates = parsePages("list", "card", "app", "message")

func parsePages(names ...string) map[string]*template.Template {
	funcs := template.FuncMap{"add": func(a, b int) int { return a + b }}
	out := map[string]*template.Template{}
	for _, n := range names {
		out[n] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(uiFiles, "ui/layout.html", "ui/frame.html", "ui/sections.html", "ui/"+n+".html"))
	}
	return out
}

// portalMux routes the portal pages; handlers read the request's portal
// and user with uiFrom.
var portalMux = newPortalMux()

func newPortalMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/crm/deal/list/", http.StatusFound)
	})
	mux.HandleFunc("GET /crm/{entity}/list/{$}", serveList)
	mux.HandleFunc("GET /crm/{entity}/details/{id}/{$}", serveCard)
	mux.HandleFunc("POST /crm/{entity}/details/{id}/{$}", saveCard)
	mux.HandleFunc("POST /crm/{entity}/details/{id}/delete", deleteCard)
	mux.HandleFunc("GET /crm/type/{type}/list/category/{category}/{$}", serveTypeList)
	mux.HandleFunc("GET /crm/type/{type}/details/{id}/{$}", serveTypeCard)
	mux.HandleFunc("POST /crm/type/{type}/details/{id}/{$}", saveTypeCard)
	mux.HandleFunc("POST /crm/type/{type}/details/{id}/delete", deleteTypeCard)
	sectionRoutes(mux)
	mux.HandleFunc("GET /marketplace/app/{id}/{$}", serveAppPage)
	mux.HandleFunc("POST /marketplace/app/{id}/install", installFromPage)
	mux.HandleFunc("POST /_portal/user", switchUser)
	mux.HandleFunc("POST /_portal/lang", switchLanguage)
	mux.HandleFunc("POST /_portal/refresh-auth", frameRefreshAuth)
	mux.HandleFunc("POST /_portal/install-finish", frameInstallFinish)
	mux.HandleFunc("POST /_portal/option", frameOption)
	static, _ := fs.Sub(uiFiles, "ui/static")
	mux.Handle("GET /_portal/static/", http.StripPrefix("/_portal/static/", http.FileServerFS(static)))
	return mux
}

// uiRequest is what every portal page knows about its request.
type uiRequest struct {
	srv    *Server
	portal *Portal
	user   *user
}

type uiKey struct{}

func uiFrom(r *http.Request) uiRequest { return r.Context().Value(uiKey{}).(uiRequest) }

// servePortalUI serves a portal-host request that is neither REST nor
// OAuth.
func (s *Server) servePortalUI(w http.ResponseWriter, r *http.Request, p *Portal) {
	u := loggedIn(w, r, p)
	ctx := context.WithValue(r.Context(), uiKey{}, uiRequest{srv: s, portal: p, user: u})
	portalMux.ServeHTTP(w, r.WithContext(ctx))
}

// loggedIn picks the user from ?user=N (remembered in the cookie), the
// cookie, or the administrator.
func loggedIn(w http.ResponseWriter, r *http.Request, p *Portal) *user {
	if id, err := strconv.Atoi(r.URL.Query().Get("user")); err == nil && p.user(id) != nil {
		setUserCookie(w, id)
		return p.user(id)
	}
	if c, err := r.Cookie(userCookie); err == nil {
		if id, err := strconv.Atoi(c.Value); err == nil && p.user(id) != nil {
			return p.user(id)
		}
	}
	return p.user(adminID)
}

func setUserCookie(w http.ResponseWriter, id int) {
	http.SetCookie(w, &http.Cookie{Name: userCookie, Value: strconv.Itoa(id), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func switchUser(w http.ResponseWriter, r *http.Request) {
	ui := uiFrom(r)
	id, err := strconv.Atoi(r.FormValue("user"))
	if err != nil || ui.portal.user(id) == nil {
		http.Error(w, "unknown user", http.StatusBadRequest)
		return
	}
	setUserCookie(w, id)
	http.Redirect(w, r, localPath(r.FormValue("back")), http.StatusSeeOther)
}

// localPath keeps a redirect target on this host.
func localPath(back string) string {
	u, err := url.Parse(back)
	if err != nil || back == "" || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(back, "//") {
		return "/"
	}
	return back
}

// withoutUser is the request's path and query less ?user, the switcher's
// way back.
func withoutUser(u *url.URL) string {
	q := u.Query()
	q.Del("user")
	back := url.URL{Path: u.Path, RawQuery: q.Encode()}
	return back.RequestURI()
}

// page is the layout's data; Content is the page's own.
type page struct {
	Title   string
	Domain  string
	Section string // active menu item: deal, lead, contact, company, app
	Users   []userChoice
	User    userChoice
	Back    string
	AppMenu *menuLink
	// TypeMenu links the lists of estimates, smart invoices and smart
	// processes.
	TypeMenu []typeMenuLink
	Content  any
	// Lang is the user's language, Zone their time zone; Languages and
	// Zones are the choices.
	Lang, Zone string
	OwnLang    bool // the user chose Lang rather than following the portal
	Languages  []string
	Zones      []string
}

// W is an English word of the page chrome in the user's language.
func (pg page) W(en string) string { return word(pg.Lang, en) }

type userChoice struct {
	ID       int
	Name     string
	Note     string
	Selected bool
}

type menuLink struct {
	Title string
	URL   string
}

func (ui uiRequest) page(r *http.Request, title, section string, content any) page {
	pg := page{Title: title, Domain: ui.portal.Domain(), Section: section, Back: withoutUser(r.URL), Content: content,
		Lang: ui.portal.languageOf(ui.user), Zone: ui.user.timeZone.Load(), OwnLang: ui.user.lang.Load() != "", Languages: Languages, Zones: TimeZones}
	for _, u := range ui.portal.users {
		c := userChoice{ID: u.id, Name: u.name + " " + u.last, Selected: u.id == ui.user.id}
		switch {
		case u.admin.Load():
			c.Note = "administrator"
		case u.ownRecords:
			c.Note = "own records only"
		}
		pg.Users = append(pg.Users, c)
		if c.Selected {
			pg.User = c
		}
	}
	pg.TypeMenu = ui.portal.typeMenu(section)
	if a := ui.srv.registeredApp(); a != nil {
		pg.AppMenu = &menuLink{Title: appTitle(a), URL: appPagePath}
	}
	return pg
}

func render(w http.ResponseWriter, status int, name string, pg page) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pageTemplates[name].Execute(w, pg); err != nil {
		// The status line is out; all that is left is to stop the page.
		_, _ = w.Write([]byte("<p>template error</p>"))
	}
}

// message renders a page with a single notice.
func (ui uiRequest) message(w http.ResponseWriter, r *http.Request, status int, title, text string) {
	render(w, status, "message", ui.page(r, title, "", text))
}

// uiState is the server-wide state of the pages: frame sessions and the
// options apps store through the frame.
type uiState struct {
	mu       sync.Mutex
	frames   map[string]*frameSession // by APP_SID
	order    []string                 // APP_SIDs, oldest first
	appOpts  map[*Portal]map[string]any
	userOpts map[portalUser]map[string]any
	ranOnce  map[portalUser]bool // setInstall received: FIRST_RUN is over
}

type portalUser struct {
	portal *Portal
	userID int
}

// initLocked creates the maps on first use; st.mu must be held.
func (st *uiState) initLocked() {
	if st.frames == nil {
		st.frames = map[string]*frameSession{}
		st.appOpts = map[*Portal]map[string]any{}
		st.userOpts = map[portalUser]map[string]any{}
		st.ranOnce = map[portalUser]bool{}
	}
}
