package b24test

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// page is a fetched portal page.
type uiPage struct {
	status int
	body   string
	header http.Header
}

// noRedirect is the emulator's client that reports redirects instead of
// following them.
func noRedirect(s *Server) *http.Client {
	c := s.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func portalURL(p *Portal, path string) string { return "http://" + p.Domain() + path }

func uiDo(t *testing.T, s *Server, req *http.Request) uiPage {
	t.Helper()
	resp, err := noRedirect(s).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return uiPage{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func uiGet(t *testing.T, s *Server, p *Portal, path string) uiPage {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, portalURL(p, path), nil)
	return uiDo(t, s, req)
}

func uiPost(t *testing.T, s *Server, p *Portal, path string, form url.Values) uiPage {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, portalURL(p, path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return uiDo(t, s, req)
}

func wantStatus(t *testing.T, pg uiPage, status int) {
	t.Helper()
	if pg.status != status {
		t.Fatalf("status %d, want %d: %.400s", pg.status, status, pg.body)
	}
}

var rowRE = regexp.MustCompile(`<tr data-id="(\d+)">`)

func rowIDs(body string) []int {
	var ids []int
	for _, m := range rowRE.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[1])
		ids = append(ids, n)
	}
	return ids
}

func TestPortalDealListShowsStoreData(t *testing.T) {
	s := NewTestServer(t, Options{Deals: 120, Seed: 3})
	p := s.Portals()[0]

	home := uiGet(t, s, p, "/")
	if home.status != http.StatusFound || home.header.Get("Location") != "/crm/deal/list/" {
		t.Fatalf("/ = %d %q", home.status, home.header.Get("Location"))
	}
	pg := uiGet(t, s, p, "/crm/deal/list/")
	wantStatus(t, pg, http.StatusOK)
	ids := rowIDs(pg.body)
	if len(ids) != 50 || ids[0] != 120 || ids[49] != 71 {
		t.Fatalf("first page ids = %v", ids)
	}
	rec, _ := p.Record("deal", 120)
	stage, _ := stageName(uiEntityByName("deal"), map[string]any{"STAGE_ID": rec["STAGE_ID"]})
	for _, want := range []string{
		`href="/crm/deal/details/120/"`,
		html.EscapeString(rec["TITLE"].(string)),
		html.EscapeString(stage),
		groupThousands(rec["OPPORTUNITY"].(string)) + " " + rec["CURRENCY_ID"].(string),
		html.EscapeString(p.userName(rec["ASSIGNED_BY_ID"].(string))),
		`rel="next" href="?page=2"`,
		`<span class="count">120</span>`,
	} {
		if !strings.Contains(pg.body, want) {
			t.Errorf("list lacks %q", want)
		}
	}
	last := uiGet(t, s, p, "/crm/deal/list/?page=3")
	if ids := rowIDs(last.body); len(ids) != 20 || ids[19] != 1 {
		t.Errorf("page 3 ids = %v", ids)
	}
	for _, e := range []string{"lead", "contact", "company"} {
		wantStatus(t, uiGet(t, s, p, "/crm/"+e+"/list/"), http.StatusOK)
	}
	wantStatus(t, uiGet(t, s, p, "/crm/quote/list/"), http.StatusNotFound)
}

func TestPortalCardRendersRecord(t *testing.T) {
	s := NewTestServer(t, Options{Deals: 10, Contacts: 10, Seed: 3})
	p := s.Portals()[0]
	rec, _ := p.Record("deal", 7)
	pg := uiGet(t, s, p, "/crm/deal/details/7/")
	wantStatus(t, pg, http.StatusOK)
	for _, want := range []string{
		`value="` + html.EscapeString(rec["TITLE"].(string)) + `"`,
		`<option value="` + rec["STAGE_ID"].(string) + `" selected>`,
		`<option value="` + rec["ASSIGNED_BY_ID"].(string) + `" selected>`,
		`name="UF_CRM_1700000002"`,
		`name="OPPORTUNITY" type="number" step="0.01" value="` + rec["OPPORTUNITY"].(string) + `"`,
	} {
		if !strings.Contains(pg.body, want) {
			t.Errorf("card lacks %q", want)
		}
	}
	c := uiGet(t, s, p, "/crm/contact/details/3/")
	wantStatus(t, c, http.StatusOK)
	if !strings.Contains(c.body, `name="PHONE" type="tel"`) || !strings.Contains(c.body, `name="EMAIL" type="email"`) {
		t.Error("contact card lacks phone or e-mail")
	}
	wantStatus(t, uiGet(t, s, p, "/crm/deal/details/11/"), http.StatusNotFound)
}

// recorder is an app handler that keeps the event bodies it receives.
type recorder struct {
	mu     sync.Mutex
	bodies []url.Values
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	rc.mu.Lock()
	rc.bodies = append(rc.bodies, r.PostForm)
	rc.mu.Unlock()
}

func (rc *recorder) wait(t *testing.T, event string) url.Values {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		rc.mu.Lock()
		for _, b := range rc.bodies {
			if b.Get("event") == event {
				rc.mu.Unlock()
				return b
			}
		}
		rc.mu.Unlock()
	}
	t.Fatalf("no %s delivered", event)
	return nil
}

func TestPortalEditFormSavesAndFiresEvents(t *testing.T) {
	s, p, tok := installed(t, Options{Deals: 10, Contacts: 5, Seed: 3})
	rc := &recorder{}
	app := httptest.NewServer(rc)
	defer app.Close()
	mustOK(t, appCall(t, s, p, tok.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALUPDATE", "handler": app.URL + "/events"}))

	rec, _ := p.Record("deal", 4)
	cat, _ := strconv.Atoi(rec["CATEGORY_ID"].(string))
	stage := dealCategories[cat].stages[1].statusID
	form := url.Values{
		"TITLE": {"Renewal <2026>"}, "STAGE_ID": {stage}, "OPPORTUNITY": {"1234.5"}, "CURRENCY_ID": {"EUR"},
		"ASSIGNED_BY_ID": {"3"}, "COMMENTS": {rec["COMMENTS"].(string)}, "UF_CRM_1700000002": {"47"},
	}
	pg := uiPost(t, s, p, "/crm/deal/details/4/?user=2", form)
	if pg.status != http.StatusSeeOther || pg.header.Get("Location") != "/crm/deal/details/4/?saved=1" {
		t.Fatalf("save = %d %q %.300s", pg.status, pg.header.Get("Location"), pg.body)
	}
	got := object(mustOK(t, hookCall(t, s, p, "crm.deal.get", map[string]any{"id": 4})).body["result"])
	want := map[string]any{"TITLE": "Renewal <2026>", "STAGE_ID": stage, "OPPORTUNITY": "1234.50", "CURRENCY_ID": "EUR", "ASSIGNED_BY_ID": "3", "UF_CRM_1700000002": "47", "MODIFY_BY_ID": "2"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	ev := rc.wait(t, "ONCRMDEALUPDATE")
	if ev.Get("data[FIELDS][ID]") != "4" || tokenUser(t, s, p, ev) != "2" {
		t.Errorf("event body = %v", ev)
	}
	saved := uiGet(t, s, p, "/crm/deal/details/4/?saved=1")
	if !strings.Contains(saved.body, "Saved.") || !strings.Contains(saved.body, html.EscapeString("Renewal <2026>")) {
		t.Error("saved card does not show the change")
	}

	// Phone and e-mail of a contact: change the first value, add one.
	c, _ := p.Record("contact", 2)
	hadEmail := c["EMAIL"] != nil
	mustStatus := uiPost(t, s, p, "/crm/contact/details/2/", url.Values{"PHONE": {"+49 30 1234567"}, "EMAIL": {"new@example.com"}})
	if mustStatus.status != http.StatusSeeOther {
		t.Fatalf("contact save = %d %.300s", mustStatus.status, mustStatus.body)
	}
	gc := object(mustOK(t, hookCall(t, s, p, "crm.contact.get", map[string]any{"id": 2})).body["result"])
	phones, emails := list(gc["PHONE"]), list(gc["EMAIL"])
	if len(phones) == 0 || object(phones[0])["VALUE"] != "+49 30 1234567" {
		t.Errorf("PHONE = %v", gc["PHONE"])
	}
	if len(emails) == 0 || object(emails[0])["VALUE"] != "new@example.com" {
		t.Errorf("EMAIL = %v (had one: %v)", gc["EMAIL"], hadEmail)
	}

	// A bad value is shown back with the error and changes nothing.
	bad := uiPost(t, s, p, "/crm/deal/details/4/", url.Values{"OPPORTUNITY": {"lots"}})
	wantStatus(t, bad, http.StatusBadRequest)
	if !strings.Contains(bad.body, `class="error"`) || !strings.Contains(bad.body, `value="lots"`) {
		t.Errorf("bad save page: %.300s", bad.body)
	}
	if r, _ := p.Record("deal", 4); r["OPPORTUNITY"] != "1234.50" {
		t.Errorf("OPPORTUNITY after a failed save = %v", r["OPPORTUNITY"])
	}
}

func TestPortalUserSwitcherAndOwnRecords(t *testing.T) {
	s := NewTestServer(t, Options{Deals: 60, Seed: 3})
	p := s.Portals()[0]
	own := p.OwnRecordsUserID()
	sw := uiPost(t, s, p, "/_portal/user", url.Values{"user": {strconv.Itoa(own)}, "back": {"/crm/deal/list/"}})
	if sw.status != http.StatusSeeOther || sw.header.Get("Location") != "/crm/deal/list/" {
		t.Fatalf("switch = %d %q", sw.status, sw.header.Get("Location"))
	}
	cookie := sw.header.Get("Set-Cookie")
	if !strings.HasPrefix(cookie, userCookie+"="+strconv.Itoa(own)) {
		t.Fatalf("Set-Cookie = %q", cookie)
	}
	req, _ := http.NewRequest(http.MethodGet, portalURL(p, "/crm/deal/list/"), nil)
	req.AddCookie(&http.Cookie{Name: userCookie, Value: strconv.Itoa(own)})
	pg := uiDo(t, s, req)
	wantStatus(t, pg, http.StatusOK)
	ids := rowIDs(pg.body)
	if len(ids) == 0 || len(ids) == 50 {
		t.Fatalf("own-records list has %d rows", len(ids))
	}
	other := 0
	for id := 1; id <= 60; id++ {
		r, _ := p.Record("deal", id)
		mine := r["ASSIGNED_BY_ID"] == strconv.Itoa(own)
		listed := false
		for _, x := range ids {
			listed = listed || x == id
		}
		if mine != listed {
			t.Errorf("deal %d (responsible %v) listed = %v", id, r["ASSIGNED_BY_ID"], listed)
		}
		if !mine && other == 0 {
			other = id
		}
	}
	wantStatus(t, uiGet(t, s, p, "/crm/deal/details/"+strconv.Itoa(other)+"/?user="+strconv.Itoa(own)), http.StatusForbidden)
	// The switcher's way back drops ?user, which would log the old user in again.
	if pg := uiGet(t, s, p, "/crm/deal/list/?page=2&user=4"); !strings.Contains(pg.body, `name="back" value="/crm/deal/list/?page=2"`) {
		t.Error("the switcher's back link keeps ?user")
	}
	if bad := uiPost(t, s, p, "/_portal/user", url.Values{"user": {"99"}}); bad.status != http.StatusBadRequest {
		t.Errorf("unknown user = %d", bad.status)
	}
	if off := uiPost(t, s, p, "/_portal/user", url.Values{"user": {"2"}, "back": {"//evil.example/"}}); off.header.Get("Location") != "/" {
		t.Errorf("off-site back = %q", off.header.Get("Location"))
	}
}

func TestPortalStaticAssets(t *testing.T) {
	s := NewTestServer(t, Options{})
	p := s.Portals()[0]
	js := uiGet(t, s, p, "/_portal/static/frame.js")
	wantStatus(t, js, http.StatusOK)
	if !strings.Contains(js.body, "getInitData") || !strings.Contains(js.header.Get("Content-Type"), "javascript") {
		t.Errorf("frame.js: %s", js.header.Get("Content-Type"))
	}
	wantStatus(t, uiGet(t, s, p, "/_portal/static/portal.css"), http.StatusOK)
	// REST still answers on the portal host.
	if a := get(t, s.Client(), p.ClientEndpoint()+"server.time"); a.status != http.StatusUnauthorized {
		t.Errorf("REST without auth = %d", a.status)
	}
}

func TestPortalAddAndDeleteRecords(t *testing.T) {
	s, p, tok := installed(t, Options{Deals: 5, Leads: 2, Seed: 3})
	rc := &recorder{}
	app := httptest.NewServer(rc)
	defer app.Close()
	for _, ev := range []string{"ONCRMDEALADD", "ONCRMDEALDELETE"} {
		mustOK(t, appCall(t, s, p, tok.AccessToken, "event.bind", map[string]any{"event": ev, "handler": app.URL}))
	}

	blank := uiGet(t, s, p, "/crm/deal/details/0/?user=3")
	wantStatus(t, blank, http.StatusOK)
	if !strings.Contains(blank.body, "New deal") || strings.Contains(blank.body, "/delete") || !strings.Contains(blank.body, `<option value="3" selected>`) {
		t.Errorf("new deal form: %.300s", blank.body)
	}
	if !strings.Contains(uiGet(t, s, p, "/crm/deal/list/").body, `href="/crm/deal/details/0/">Add</a>`) {
		t.Error("the list has no Add link")
	}
	add := uiPost(t, s, p, "/crm/deal/details/0/?user=3", url.Values{"TITLE": {"Fresh deal"}, "OPPORTUNITY": {"99"}, "STAGE_ID": {"PREPARATION"}, "ASSIGNED_BY_ID": {"3"}, "COMMENTS": {""}})
	if add.status != http.StatusSeeOther || add.header.Get("Location") != "/crm/deal/details/6/?saved=1" {
		t.Fatalf("add = %d %q %.300s", add.status, add.header.Get("Location"), add.body)
	}
	got := object(mustOK(t, hookCall(t, s, p, "crm.deal.get", map[string]any{"id": 6})).body["result"])
	if got["TITLE"] != "Fresh deal" || got["OPPORTUNITY"] != "99.00" || got["STAGE_ID"] != "PREPARATION" || got["CREATED_BY_ID"] != "3" {
		t.Errorf("added deal = %v", got)
	}
	if ev := rc.wait(t, "ONCRMDEALADD"); ev.Get("data[FIELDS][ID]") != "6" {
		t.Errorf("add event = %v", ev)
	}

	lead := uiPost(t, s, p, "/crm/lead/details/0/", url.Values{"TITLE": {"Call back"}, "PHONE": {"+1 555 0100"}})
	if lead.status != http.StatusSeeOther {
		t.Fatalf("add lead = %d %.300s", lead.status, lead.body)
	}
	gl := object(mustOK(t, hookCall(t, s, p, "crm.lead.get", map[string]any{"id": 3})).body["result"])
	if ph := list(gl["PHONE"]); len(ph) != 1 || object(ph[0])["VALUE"] != "+1 555 0100" {
		t.Errorf("lead PHONE = %v", gl["PHONE"])
	}

	del := uiPost(t, s, p, "/crm/deal/details/2/delete", nil)
	if del.status != http.StatusSeeOther || del.header.Get("Location") != "/crm/deal/list/" {
		t.Fatalf("delete = %d %q", del.status, del.header.Get("Location"))
	}
	if _, ok := p.Record("deal", 2); ok {
		t.Error("deal 2 still exists")
	}
	if ev := rc.wait(t, "ONCRMDEALDELETE"); ev.Get("data[FIELDS][ID]") != "2" {
		t.Errorf("delete event = %v", ev)
	}
	wantStatus(t, uiPost(t, s, p, "/crm/deal/details/2/delete", nil), http.StatusNotFound)
}
