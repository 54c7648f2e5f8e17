package b24test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// An app frame is opened as Bitrix24 opens it: an iframe named
// "{DOMAIN}|{PROTOCOL}|{APP_SID}" and a hidden form that POSTs the
// documented fields into it (DOMAIN, PROTOCOL, LANG and APP_SID in the
// query string, the rest in the body). ui/static/frame.js then answers the
// frame's postMessage commands; its server side is here.

// frameSession is one rendered frame, known by its APP_SID.
type frameSession struct {
	portal    *Portal
	userID    int
	placement string
	install   bool // the installer page: getInitData says INSTALL
}

// maxFrames bounds the remembered frame sessions; the oldest go first.
const maxFrames = 2000

// frameView is what the templates need to render one frame.
type frameView struct {
	Name   string // the iframe's name, also the form's target
	Action string // handler URL with the query parameters
	Fields []formField
	Data   string // JSON for frame.js: app origin, sid and the init data
}

type formField struct{ Name, Value string }

// frameData is handed to frame.js.
type frameData struct {
	Sid    string         `json:"sid"`
	Origin string         `json:"origin"`
	Init   map[string]any `json:"init"`
}

// placementOptions is PLACEMENT_OPTIONS of a CRM detail tab: the record id
// (a string) and the card's path, with slashes escaped as PHP writes them.
func placementOptions(id, uri string) string {
	b, _ := json.Marshal(struct {
		ID  string `json:"ID"`
		URI string `json:"URI"`
	}{id, uri})
	return strings.ReplaceAll(string(b), "/", `\/`)
}

var errNoHandler = errors.New("the application has no URL for this page")

// openFrame mints the user's tokens and a new APP_SID and describes the
// frame that loads handler for the placement.
func (ui uiRequest) openFrame(handler, placement, options string, install bool) (*frameView, error) {
	origin, ok := originOf(handler)
	if !ok {
		return nil, errNoHandler
	}
	p, s := ui.portal, ui.srv
	tok, err := p.IssueTokens(ui.user.id)
	if err != nil {
		return nil, err
	}
	a := s.registeredApp()
	scopes := ""
	if a != nil {
		scopes = scopeString(a.Scopes)
	}
	sid := randomHex(16)
	st := &s.ui
	st.mu.Lock()
	st.initLocked()
	st.frames[sid] = &frameSession{portal: p, userID: ui.user.id, placement: placement, install: install}
	st.order = append(st.order, sid)
	if len(st.order) > maxFrames {
		delete(st.frames, st.order[0])
		st.order = st.order[1:]
	}
	pu := portalUser{p, ui.user.id}
	appOpts, userOpts := copyOpts(st.appOpts[p]), copyOpts(st.userOpts[pu])
	firstRun := !install && !st.ranOnce[pu]
	st.mu.Unlock()

	lang := p.languageOf(ui.user)
	query := url.Values{"DOMAIN": {p.Domain()}, "PROTOCOL": {"0"}, "LANG": {lang}, "APP_SID": {sid}}
	action := handler
	if strings.Contains(action, "?") {
		action += "&" + query.Encode()
	} else {
		action += "?" + query.Encode()
	}
	expires := strconv.Itoa(tok.ExpiresIn)
	fv := &frameView{
		Name:   p.Domain() + "|0|" + sid,
		Action: action,
		Fields: []formField{
			{"AUTH_ID", tok.AccessToken},
			{"AUTH_EXPIRES", expires},
			{"REFRESH_ID", tok.RefreshToken},
			{"SERVER_ENDPOINT", s.OAuthEndpoint()},
			{"APPLICATION_TOKEN", p.ApplicationToken()},
			{"APPLICATION_SCOPE", scopes},
			{"member_id", p.memberID},
			{"status", "F"},
			{"PLACEMENT", placement},
			{"PLACEMENT_OPTIONS", options},
		},
	}
	var optObj map[string]any
	if err := json.Unmarshal([]byte(options), &optObj); err != nil || optObj == nil {
		optObj = map[string]any{}
	}
	data, _ := json.Marshal(frameData{Sid: sid, Origin: origin, Init: map[string]any{
		"DOMAIN":            p.Domain(),
		"PROTOCOL":          0,
		"PATH":              "/rest",
		"LANG":              lang,
		"AUTH_ID":           tok.AccessToken,
		"REFRESH_ID":        tok.RefreshToken,
		"AUTH_EXPIRES":      tok.ExpiresIn,
		"MEMBER_ID":         p.memberID,
		"IS_ADMIN":          ui.user.admin.Load(),
		"APP_OPTIONS":       appOpts,
		"USER_OPTIONS":      userOpts,
		"PLACEMENT":         placement,
		"PLACEMENT_OPTIONS": optObj,
		"INSTALL":           install,
		"FIRST_RUN":         firstRun,
	}})
	fv.Data = string(data)
	return fv, nil
}

// originOf is scheme://host[:port] of an absolute http(s) URL.
func originOf(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	return u.Scheme + "://" + u.Host, true
}

func copyOpts(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// frameRequest is the body frame.js posts to the /_portal/ endpoints.
type frameRequest struct {
	AppSid string          `json:"app_sid"`
	Kind   string          `json:"kind"`
	Name   string          `json:"name"`
	Value  json.RawMessage `json:"value"`
}

// frameSessionOf decodes the request and finds its frame on this portal.
// It accepts JSON only, so a cross-site form cannot post here.
func frameSessionOf(w http.ResponseWriter, r *http.Request) (frameRequest, *frameSession, bool) {
	var req frameRequest
	ui := uiFrom(r)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "JSON body expected"})
		return req, nil, false
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return req, nil, false
	}
	st := &ui.srv.ui
	st.mu.Lock()
	st.initLocked()
	fs := st.frames[req.AppSid]
	st.mu.Unlock()
	if fs == nil || fs.portal != ui.portal {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown APP_SID"})
		return req, nil, false
	}
	return req, fs, true
}

// frameRefreshAuth answers the frame's refreshAuth: a new token pair for
// the frame's user.
func frameRefreshAuth(w http.ResponseWriter, r *http.Request) {
	_, fs, ok := frameSessionOf(w, r)
	if !ok {
		return
	}
	tok, err := fs.portal.IssueTokens(fs.userID)
	if err != nil {
		writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"AUTH_ID": tok.AccessToken, "REFRESH_ID": tok.RefreshToken, "AUTH_EXPIRES": tok.ExpiresIn})
}

// frameInstallFinish answers setInstallFinish from the installer frame:
// the pending installation completes (ONAPPINSTALL goes out).
func frameInstallFinish(w http.ResponseWriter, r *http.Request) {
	_, fs, ok := frameSessionOf(w, r)
	if !ok {
		return
	}
	p := fs.portal
	switch {
	case !fs.install:
		writeJSON(w, http.StatusConflict, map[string]string{"error": "the frame is not an installer"})
		return
	case !p.Installed():
		if err := p.CompleteInstall(); err != nil {
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"installed": true, "url": appPagePath})
}

// frameOption stores setAppOption / setUserOption values and the
// setInstall mark that ends FIRST_RUN for the user.
func frameOption(w http.ResponseWriter, r *http.Request) {
	req, fs, ok := frameSessionOf(w, r)
	if !ok {
		return
	}
	var v any
	if len(req.Value) > 0 {
		_ = json.Unmarshal(req.Value, &v)
	}
	st := &uiFrom(r).srv.ui
	st.mu.Lock()
	defer st.mu.Unlock()
	st.initLocked()
	pu := portalUser{fs.portal, fs.userID}
	switch req.Kind {
	case "app":
		if st.appOpts[fs.portal] == nil {
			st.appOpts[fs.portal] = map[string]any{}
		}
		st.appOpts[fs.portal][req.Name] = v
	case "user":
		if st.userOpts[pu] == nil {
			st.userOpts[pu] = map[string]any{}
		}
		st.userOpts[pu][req.Name] = v
	case "install":
		st.ranOnce[pu] = true
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "kind must be app, user or install"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}
