package b24test

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// renderedFrame is an app frame as a page renders it.
type renderedFrame struct {
	name   string
	target string
	action string
	fields [][2]string // in order
	data   frameData
}

func (f renderedFrame) field(name string) string {
	for _, kv := range f.fields {
		if kv[0] == name {
			return kv[1]
		}
	}
	return ""
}

var (
	iframeRE = regexp.MustCompile(`<iframe name="([^"]*)"`)
	formRE   = regexp.MustCompile(`(?s)<form class="frame-post" method="post" target="([^"]*)" action="([^"]*)">(.*?)</form>`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	dataRE   = regexp.MustCompile(`data-frame="([^"]*)"`)
)

func parseFrame(t *testing.T, body string) renderedFrame {
	t.Helper()
	var f renderedFrame
	m := iframeRE.FindStringSubmatch(body)
	fm := formRE.FindStringSubmatch(body)
	dm := dataRE.FindStringSubmatch(body)
	if m == nil || fm == nil || dm == nil {
		t.Fatalf("no app frame in the page: %.600s", body)
	}
	f.name, f.target, f.action = html.UnescapeString(m[1]), html.UnescapeString(fm[1]), html.UnescapeString(fm[2])
	for _, h := range hiddenRE.FindAllStringSubmatch(fm[3], -1) {
		f.fields = append(f.fields, [2]string{html.UnescapeString(h[1]), html.UnescapeString(h[2])})
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(dm[1])), &f.data); err != nil {
		t.Fatalf("data-frame: %v", err)
	}
	return f
}

// bindTab binds a CRM detail tab with the admin's token.
func bindTab(t *testing.T, s *Server, p *Portal, token, code, handler, title string) {
	t.Helper()
	mustOK(t, appCall(t, s, p, token, "placement.bind", map[string]any{"PLACEMENT": code, "HANDLER": handler, "TITLE": title}))
}

// frameCall posts JSON to a /_portal/ endpoint the way frame.js does.
func frameCall(t *testing.T, s *Server, p *Portal, path string, body any) answer {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, portalURL(p, path), bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	return do(t, s.Client(), req)
}

func TestDealTabFrameCarriesTheDocumentedPost(t *testing.T) {
	s, p, tok := installed(t, Options{Deals: 30, Contacts: 3, Leads: 3, Seed: 3})
	bindTab(t, s, p, tok.AccessToken, "CRM_DEAL_DETAIL_TAB", "http://app.example:8080/tab/deal?x=1", "History")
	bindTab(t, s, p, tok.AccessToken, "CRM_CONTACT_DETAIL_TAB", "http://app.example:8080/tab/contact", "Contact history")

	card := uiGet(t, s, p, "/crm/deal/details/8/")
	wantStatus(t, card, http.StatusOK)
	if !strings.Contains(card.body, `<a href="/crm/deal/details/8/?tab=1">History</a>`) || strings.Contains(card.body, "Contact history") {
		t.Fatalf("card tabs: %.2000s", card.body)
	}
	if strings.Contains(card.body, "<iframe") {
		t.Fatal("the General tab opens a frame")
	}

	// Open the tab as the "own records only" user, on one of their deals.
	own := p.OwnRecordsUserID()
	id := 0
	for i := 1; i <= 30 && id == 0; i++ {
		if r, _ := p.Record("deal", i); r["ASSIGNED_BY_ID"] == strconv.Itoa(own) {
			id = i
		}
	}
	if id == 0 {
		t.Fatal("no deal of the own-records user")
	}
	pg := uiGet(t, s, p, "/crm/deal/details/"+strconv.Itoa(id)+"/?tab=1&user="+strconv.Itoa(own))
	wantStatus(t, pg, http.StatusOK)
	f := parseFrame(t, pg.body)

	var names []string
	for _, kv := range f.fields {
		names = append(names, kv[0])
	}
	wantNames := "AUTH_ID AUTH_EXPIRES REFRESH_ID SERVER_ENDPOINT APPLICATION_TOKEN APPLICATION_SCOPE member_id status PLACEMENT PLACEMENT_OPTIONS"
	if strings.Join(names, " ") != wantNames {
		t.Errorf("form fields = %v", names)
	}
	u, err := url.Parse(f.action)
	if err != nil {
		t.Fatal(err)
	}
	qv := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != "http://app.example:8080/tab/deal" || qv.Get("x") != "1" {
		t.Errorf("action = %s", f.action)
	}
	if qv.Get("DOMAIN") != p.Domain() || qv.Get("PROTOCOL") != "0" || qv.Get("LANG") != "en" || len(qv.Get("APP_SID")) != 32 {
		t.Errorf("query = %v", qv)
	}
	if f.name != p.Domain()+"|0|"+qv.Get("APP_SID") || f.target != f.name {
		t.Errorf("iframe name %q, form target %q", f.name, f.target)
	}
	want := map[string]string{
		"AUTH_EXPIRES": "3600", "SERVER_ENDPOINT": s.OAuthEndpoint(), "APPLICATION_TOKEN": p.ApplicationToken(),
		"APPLICATION_SCOPE": "crm,placement,user_brief", "member_id": p.MemberID(), "PLACEMENT": "CRM_DEAL_DETAIL_TAB",
	}
	for k, v := range want {
		if f.field(k) != v {
			t.Errorf("%s = %q, want %q", k, f.field(k), v)
		}
	}
	var opts map[string]any
	if err := json.Unmarshal([]byte(f.field("PLACEMENT_OPTIONS")), &opts); err != nil {
		t.Fatalf("PLACEMENT_OPTIONS %q: %v", f.field("PLACEMENT_OPTIONS"), err)
	}
	if len(opts) != 2 || opts["ID"] != strconv.Itoa(id) || opts["URI"] != "/crm/deal/details/"+strconv.Itoa(id)+"/" {
		t.Errorf("PLACEMENT_OPTIONS = %v", opts)
	}

	// The posted tokens belong to the logged-in user.
	cur := object(mustOK(t, appCall(t, s, p, f.field("AUTH_ID"), "user.current", nil)).body["result"])
	if cur["ID"] != strconv.Itoa(own) {
		t.Errorf("user.current ID = %v, want %d", cur["ID"], own)
	}
	// …and see only that user's records.
	if a := appCall(t, s, p, f.field("AUTH_ID"), "crm.deal.get", map[string]any{"id": id}); a.status != http.StatusOK {
		t.Errorf("own deal: %d %s", a.status, a.raw)
	}

	// What frame.js answers to getInitData.
	if f.data.Sid != qv.Get("APP_SID") || f.data.Origin != "http://app.example:8080" {
		t.Errorf("frame data sid %q origin %q", f.data.Sid, f.data.Origin)
	}
	in := f.data.Init
	wantInit := map[string]any{
		"DOMAIN": p.Domain(), "PROTOCOL": 0.0, "PATH": "/rest", "LANG": "en", "AUTH_ID": f.field("AUTH_ID"),
		"REFRESH_ID": f.field("REFRESH_ID"), "AUTH_EXPIRES": 3600.0, "MEMBER_ID": p.MemberID(), "IS_ADMIN": false,
		"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "INSTALL": false, "FIRST_RUN": true,
	}
	for k, v := range wantInit {
		if in[k] != v {
			t.Errorf("init %s = %#v, want %#v", k, in[k], v)
		}
	}
	po, _ := in["PLACEMENT_OPTIONS"].(map[string]any)
	if po["ID"] != strconv.Itoa(id) {
		t.Errorf("init PLACEMENT_OPTIONS = %#v", in["PLACEMENT_OPTIONS"])
	}
	for _, k := range []string{"APP_OPTIONS", "USER_OPTIONS"} {
		if _, ok := in[k].(map[string]any); !ok {
			t.Errorf("init %s = %#v, want an object", k, in[k])
		}
	}

	// The contact card has its own tab; lead cards have none.
	cf := parseFrame(t, uiGet(t, s, p, "/crm/contact/details/1/?tab=1&user=1").body)
	if cf.field("PLACEMENT") != "CRM_CONTACT_DETAIL_TAB" || cf.data.Init["IS_ADMIN"] != true {
		t.Errorf("contact tab: %v admin %v", cf.field("PLACEMENT"), cf.data.Init["IS_ADMIN"])
	}
	if l := uiGet(t, s, p, "/crm/lead/details/1/"); strings.Contains(l.body, "?tab=1") {
		t.Error("the lead card shows a tab nobody bound")
	}
}

func TestTabsHiddenUntilInstalled(t *testing.T) {
	app := testApp()
	app.InstallURL = "http://app.example/install"
	s := NewTestServer(t, Options{Deals: 3, App: app})
	p := s.Portals()[0]
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	tok, err := p.IssueTokens(p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	bindTab(t, s, p, tok.AccessToken, "CRM_DEAL_DETAIL_TAB", "http://app.example/tab", "History")
	if pg := uiGet(t, s, p, "/crm/deal/details/1/"); strings.Contains(pg.body, "History") {
		t.Error("a pending installation shows its tab")
	}
	if err := p.CompleteInstall(); err != nil {
		t.Fatal(err)
	}
	if pg := uiGet(t, s, p, "/crm/deal/details/1/"); !strings.Contains(pg.body, ">History</a>") {
		t.Error("the completed installation shows no tab")
	}
}

func TestFrameRefreshAuth(t *testing.T) {
	s, p, tok := installed(t, Options{Portals: 2, Deals: 3})
	bindTab(t, s, p, tok.AccessToken, "CRM_DEAL_DETAIL_TAB", "http://app.example/tab", "History")
	f := parseFrame(t, uiGet(t, s, p, "/crm/deal/details/2/?tab=1&user=3").body)

	a := mustOK(t, frameCall(t, s, p, "/_portal/refresh-auth", map[string]string{"app_sid": f.data.Sid}))
	access, _ := a.body["AUTH_ID"].(string)
	if access == "" || access == f.field("AUTH_ID") || a.body["REFRESH_ID"] == "" || a.body["AUTH_EXPIRES"] != json.Number("3600") {
		t.Fatalf("refresh-auth = %s", a.raw)
	}
	cur := object(mustOK(t, appCall(t, s, p, access, "user.current", nil)).body["result"])
	if cur["ID"] != "3" {
		t.Errorf("refreshed token's user = %v, want 3", cur["ID"])
	}

	if a := frameCall(t, s, p, "/_portal/refresh-auth", map[string]string{"app_sid": "nope"}); a.status != http.StatusNotFound {
		t.Errorf("unknown sid = %d", a.status)
	}
	other := s.Portals()[1]
	if a := frameCall(t, s, other, "/_portal/refresh-auth", map[string]string{"app_sid": f.data.Sid}); a.status != http.StatusNotFound {
		t.Errorf("sid of another portal = %d", a.status)
	}
	req, _ := http.NewRequest(http.MethodPost, portalURL(p, "/_portal/refresh-auth"), strings.NewReader("app_sid="+f.data.Sid))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if a := do(t, s.Client(), req); a.status != http.StatusUnsupportedMediaType {
		t.Errorf("form post = %d", a.status)
	}
}

func TestFrameOptionsAndFirstRun(t *testing.T) {
	s, p, _ := installed(t, Options{})
	first := parseFrame(t, uiGet(t, s, p, "/marketplace/app/1/").body)
	if first.data.Init["FIRST_RUN"] != true || first.field("PLACEMENT") != "DEFAULT" || first.field("PLACEMENT_OPTIONS") != "{}" {
		t.Fatalf("first open: FIRST_RUN %v PLACEMENT %q OPTIONS %q", first.data.Init["FIRST_RUN"], first.field("PLACEMENT"), first.field("PLACEMENT_OPTIONS"))
	}
	sid := first.data.Sid
	mustOK(t, frameCall(t, s, p, "/_portal/option", map[string]any{"app_sid": sid, "kind": "install"}))
	mustOK(t, frameCall(t, s, p, "/_portal/option", map[string]any{"app_sid": sid, "kind": "app", "name": "mode", "value": "full"}))
	mustOK(t, frameCall(t, s, p, "/_portal/option", map[string]any{"app_sid": sid, "kind": "user", "name": "cols", "value": []int{1, 2}}))
	if a := frameCall(t, s, p, "/_portal/option", map[string]any{"app_sid": sid, "kind": "other"}); a.status != http.StatusBadRequest {
		t.Errorf("unknown kind = %d", a.status)
	}

	again := parseFrame(t, uiGet(t, s, p, "/marketplace/app/1/").body).data.Init
	if again["FIRST_RUN"] != false {
		t.Error("FIRST_RUN after setInstall")
	}
	if object(again["APP_OPTIONS"])["mode"] != "full" || len(list(object(again["USER_OPTIONS"])["cols"])) != 2 {
		t.Errorf("options = %v %v", again["APP_OPTIONS"], again["USER_OPTIONS"])
	}
	// Another user shares the app options, not the user options, and runs
	// the app for the first time.
	u2 := parseFrame(t, uiGet(t, s, p, "/marketplace/app/1/?user=2").body).data.Init
	if object(u2["APP_OPTIONS"])["mode"] != "full" || len(object(u2["USER_OPTIONS"])) != 0 || u2["FIRST_RUN"] != true {
		t.Errorf("user 2 init = %v", u2)
	}
}

func TestInstallPageInTheFrame(t *testing.T) {
	app := testApp()
	app.InstallURL = "http://app.example/install"
	app.AppURL = "http://app.example/app"
	s := NewTestServer(t, Options{App: app})
	p := s.Portals()[0]

	// Not installed: the administrator gets an Install button.
	pg := uiGet(t, s, p, "/marketplace/app/1/")
	wantStatus(t, pg, http.StatusOK)
	if !strings.Contains(pg.body, `action="/marketplace/app/1/install"`) || strings.Contains(pg.body, "<iframe") {
		t.Fatalf("app page before install: %.1500s", pg.body)
	}
	if !strings.Contains(pg.body, `id="menu-app" href="/marketplace/app/1/"`) {
		t.Error("no app item in the left menu")
	}
	if r := uiPost(t, s, p, "/marketplace/app/1/install?user=2", nil); r.status != http.StatusForbidden {
		t.Errorf("install by a non-admin = %d", r.status)
	}
	r := uiPost(t, s, p, "/marketplace/app/1/install", nil)
	if r.status != http.StatusSeeOther || p.ApplicationToken() == "" || p.Installed() {
		t.Fatalf("install = %d, token %q, installed %v", r.status, p.ApplicationToken(), p.Installed())
	}

	// Pending: the installer opens in the frame in INSTALL mode.
	f := parseFrame(t, uiGet(t, s, p, "/marketplace/app/1/").body)
	if !strings.HasPrefix(f.action, "http://app.example/install?") || f.field("PLACEMENT") != "DEFAULT" {
		t.Errorf("installer frame: %s %s", f.action, f.field("PLACEMENT"))
	}
	if f.data.Init["INSTALL"] != true || f.data.Init["IS_ADMIN"] != true || f.data.Origin != "http://app.example" {
		t.Errorf("installer init: %v, origin %s", f.data.Init, f.data.Origin)
	}
	if cur := object(mustOK(t, appCall(t, s, p, f.field("AUTH_ID"), "app.info", nil)).body["result"]); cur["INSTALLED"] != false {
		t.Errorf("app.info during install = %v", cur)
	}
	// Others are told to wait for the administrator.
	if o := uiGet(t, s, p, "/marketplace/app/1/?user=2"); !strings.Contains(o.body, "not fully installed") || strings.Contains(o.body, "<iframe") {
		t.Error("a non-admin sees the installer")
	}

	// setInstallFinish completes the installation; the page then shows the app.
	a := mustOK(t, frameCall(t, s, p, "/_portal/install-finish", map[string]string{"app_sid": f.data.Sid}))
	if a.body["url"] != "/marketplace/app/1/" || !p.Installed() {
		t.Fatalf("install-finish = %s, installed %v", a.raw, p.Installed())
	}
	if cur := object(mustOK(t, appCall(t, s, p, f.field("AUTH_ID"), "app.info", nil)).body["result"]); cur["INSTALLED"] != true {
		t.Errorf("app.info after install = %v", cur)
	}
	f2 := parseFrame(t, uiGet(t, s, p, "/marketplace/app/1/").body)
	if !strings.HasPrefix(f2.action, "http://app.example/app?") || f2.data.Init["INSTALL"] != false {
		t.Errorf("app frame after install: %s INSTALL %v", f2.action, f2.data.Init["INSTALL"])
	}
	// The app frame is no installer.
	if a := frameCall(t, s, p, "/_portal/install-finish", map[string]string{"app_sid": f2.data.Sid}); a.status != http.StatusConflict {
		t.Errorf("install-finish from the app frame = %d", a.status)
	}
}

func TestAppPageWithoutApp(t *testing.T) {
	s := NewTestServer(t, Options{})
	p := s.Portals()[0]
	pg := uiGet(t, s, p, "/marketplace/app/1/")
	wantStatus(t, pg, http.StatusNotFound)
	if strings.Contains(pg.body, `id="menu-app"`) {
		t.Error("app menu item without an app")
	}
}
