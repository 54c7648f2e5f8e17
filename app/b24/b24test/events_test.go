package b24test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// handler records the event POSTs it gets.
type handler struct {
	*httptest.Server
	mu    sync.Mutex
	forms []string
}

func newHandler(t *testing.T) *handler {
	h := &handler{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.forms = append(h.forms, string(b))
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

// tokenUser is the ID of the user whose access token a delivery carries,
// asked from the portal as the docs advise.
func tokenUser(t *testing.T, s *Server, p *Portal, body url.Values) string {
	t.Helper()
	cur := object(mustOK(t, appCall(t, s, p, body.Get("auth[access_token]"), "user.current", nil)).body["result"])
	return fmt.Sprint(cur["ID"])
}

func waitN(t *testing.T, p *Portal, n int) []Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ds, err := p.WaitDeliveries(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func TestOnlineEventForm(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := newHandler(t)
	s, p, tok := installed(t, Options{Now: clk.Now, Deals: 5})
	mustOK(t, appCall(t, s, p, tok.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALUPDATE", "handler": h.URL + "/ev"}))
	mustOK(t, appCall(t, s, p, tok.AccessToken, "crm.deal.update", map[string]any{"id": 2, "fields": map[string]any{"TITLE": "new"}}))
	d := waitN(t, p, 1)[0]
	if d.Status != http.StatusOK || d.Event != "ONCRMDEALUPDATE" || d.URL != h.URL+"/ev" {
		t.Fatalf("delivery = %+v", d)
	}
	b := d.Body
	want := map[string]string{
		"event": "ONCRMDEALUPDATE", "event_handler_id": "1", "data[FIELDS][ID]": "2", "ts": "1741608000",
		"auth[domain]": p.Domain(), "auth[client_endpoint]": p.ClientEndpoint(), "auth[server_endpoint]": s.OAuthEndpoint(),
		"auth[member_id]": p.MemberID(), "auth[application_token]": p.ApplicationToken(),
		"auth[expires_in]": "3600", "auth[scope]": "crm,placement,user_brief", "auth[status]": "F",
	}
	for k, v := range want {
		if b.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, b.Get(k), v)
		}
	}
	if b.Get("auth[access_token]") == "" || b.Get("auth[refresh_token]") == "" {
		t.Error("no tokens for a user's change")
	}
	for _, k := range []string{"auth[user_id]", "auth[expires]"} {
		if b.Has(k) {
			t.Errorf("CRM event carries the undocumented %s", k)
		}
	}
	if id := tokenUser(t, s, p, b); id != "1" {
		t.Errorf("tokens belong to user %s, want the actor 1", id)
	}

	if err := p.UpdateRecord("deal", 3, Automation, map[string]any{"TITLE": "robot"}); err != nil {
		t.Fatal(err)
	}
	auto := waitN(t, p, 2)[1].Body
	var keys []string
	for k := range auto {
		if strings.HasPrefix(k, "auth[") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	wantKeys := []string{"auth[application_token]", "auth[client_endpoint]", "auth[domain]", "auth[member_id]", "auth[scope]", "auth[server_endpoint]", "auth[status]"}
	if auto.Get("data[FIELDS][ID]") != "3" || !slices.Equal(keys, wantKeys) || auto.Get("auth[application_token]") == "" {
		t.Errorf("automation change auth keys = %v, want %v", keys, wantKeys)
	}
	h.mu.Lock()
	n := len(h.forms)
	h.mu.Unlock()
	if n != 2 {
		t.Errorf("handler got %d POSTs, want 2", n)
	}
}

func TestNoEventsBeforeInstallFinish(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	app := testApp()
	app.InstallURL = "http://app.example/install"
	app.InstallHandlerURL = h.URL + "/install"
	s, p, tok := installed(t, Options{App: app, Deals: 3})
	if p.Installed() {
		t.Fatal("UI installation complete before installFinish")
	}
	info := object(mustOK(t, appCall(t, s, p, tok.AccessToken, "app.info", nil)).body["result"])
	if info["INSTALLED"] != false {
		t.Errorf("app.info INSTALLED = %v during install", info["INSTALLED"])
	}
	mustOK(t, appCall(t, s, p, tok.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALADD", "handler": h.URL + "/ev"}))
	if _, err := p.AddRecord("deal", 1, map[string]any{"TITLE": "early"}); err != nil {
		t.Fatal(err)
	}
	if err := p.CompleteInstall(); err != nil {
		t.Fatal(err)
	}
	d := waitN(t, p, 1)
	install := d[0].Body
	if d[0].Event != "ONAPPINSTALL" || install.Get("auth[refresh_token]") == "" || install.Get("data[VERSION]") != "1" || install.Get("auth[application_token]") != p.ApplicationToken() {
		t.Errorf("ONAPPINSTALL = %v", install)
	}
	if _, err := p.AddRecord("deal", 2, map[string]any{"TITLE": "late"}); err != nil {
		t.Fatal(err)
	}
	d = waitN(t, p, 2)
	if d[1].Event != "ONCRMDEALADD" || d[1].Body.Get("data[FIELDS][ID]") != "5" || tokenUser(t, s, p, d[1].Body) != "2" {
		t.Errorf("second delivery = %+v (the early deal must not be delivered)", d[1])
	}
	if err := p.CompleteInstall(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddRecord("deal", Automation, map[string]any{"TITLE": "robot"}); err != nil {
		t.Fatal(err)
	}
	if d = waitN(t, p, 3); d[2].Event != "ONCRMDEALADD" {
		t.Errorf("a second installFinish sent %s", d[2].Event)
	}
}

func TestUninstallEvent(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	s, p, tok := installed(t, Options{})
	mustOK(t, appCall(t, s, p, tok.AccessToken, "event.bind", map[string]any{"event": "ONAPPUNINSTALL", "handler": h.URL}))
	if err := p.Uninstall(true); err != nil {
		t.Fatal(err)
	}
	b := waitN(t, p, 1)[0].Body
	if b.Get("data[CLEAN]") != "1" || b.Has("auth[access_token]") || b.Get("auth[application_token]") == "" {
		t.Errorf("ONAPPUNINSTALL = %v", b)
	}
}

func TestEventBindRules(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{})
	user, _ := p.IssueTokens(2)
	cases := []struct {
		token  string
		params map[string]any
		status int
		code   string
	}{
		{tok.AccessToken, map[string]any{"event": "ONNOTHING", "handler": "http://x.example/"}, 400, "ERROR_EVENT_NOT_FOUND"},
		{user.AccessToken, map[string]any{"event": "ONCRMDEALADD", "event_type": "offline"}, 403, "ACCESS_DENIED"},
		{user.AccessToken, map[string]any{"event": "ONCRMDEALADD", "handler": "http://127.0.0.1:9/"}, 200, ""},
		{user.AccessToken, map[string]any{"event": "ONCRMDEALADD", "handler": "http://127.0.0.1:9/"}, 400, "ERROR_CORE"},
	}
	for i, c := range cases {
		a := appCall(t, s, p, c.token, "event.bind", c.params)
		if a.status != c.status || a.errCode() != c.code {
			t.Errorf("case %d: %d %s", i, a.status, a.raw)
		}
	}
	g := mustOK(t, appCall(t, s, p, tok.AccessToken, "event.get", nil))
	if l := list(g.body["result"]); len(l) != 1 || object(l[0])["offline"] != jsonNum(0) {
		t.Errorf("event.get = %s", g.raw)
	}
	u := mustOK(t, appCall(t, s, p, tok.AccessToken, "event.unbind", map[string]any{"event": "ONCRMDEALADD", "handler": "http://127.0.0.1:9/"}))
	if fmt.Sprint(object(u.body["result"])["count"]) != "1" {
		t.Errorf("event.unbind = %s", u.raw)
	}
}

func jsonNum(n int) any { return jsonNumber(fmt.Sprint(n)) }

func TestOfflineQueue(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	s, p, tok := installed(t, Options{Deals: 10})
	call := func(m string, params map[string]any) answer {
		return mustOK(t, appCall(t, s, p, tok.AccessToken, m, params))
	}
	call("event.bind", map[string]any{"event": "ONCRMDEALUPDATE", "event_type": "offline"})
	call("event.bind", map[string]any{"event": "ONOFFLINEEVENT", "handler": h.URL, "options": map[string]any{"minTimeout": 30}})
	for _, id := range []int{1, 2, 1, 3} {
		if err := p.UpdateRecord("deal", id, 2, map[string]any{"COMMENTS": "x"}); err != nil {
			t.Fatal(err)
		}
	}
	call("crm.deal.update", map[string]any{"id": 4, "fields": map[string]any{"COMMENTS": "mine"}, "auth_connector": "other"})
	if d := waitN(t, p, 1); d[0].Event != "ONOFFLINEEVENT" {
		t.Errorf("notification = %+v", d[0])
	}
	res := object(call("event.offline.get", map[string]any{"clear": 0, "limit": 2}).body["result"])
	pid, evs := strString(res["process_id"]), list(res["events"])
	if pid == "" || len(evs) != 2 || object(evs[0])["EVENT_NAME"] != "ONCRMDEALUPDATE" {
		t.Fatalf("reserved batch = %v", res)
	}
	other := object(call("event.offline.get", map[string]any{"clear": 0}).body["result"])
	if n := len(list(other["events"])); n != 2 {
		t.Errorf("second reader got %d events, want the 2 unreserved (deal 3 and 4)", n)
	}
	call("event.offline.clear", map[string]any{"process_id": pid})
	all := call("event.offline.list", nil)
	if fmt.Sprint(all.body["total"]) != "2" {
		t.Errorf("after clear: %s", all.raw)
	}
	if len(p.Deliveries()) != 1 {
		t.Errorf("ONOFFLINEEVENT not throttled: %d deliveries", len(p.Deliveries()))
	}
	user, _ := p.IssueTokens(2)
	if a := appCall(t, s, p, user.AccessToken, "event.offline.get", nil); a.status != http.StatusForbidden {
		t.Errorf("non-admin event.offline.get = %d", a.status)
	}
}

// A portal that cannot reach the handler still queues offline events.
func TestLostDeliveriesStillQueueOffline(t *testing.T) {
	t.Parallel()
	h := newHandler(t)
	s, p, tok := installed(t, Options{Deals: 3})
	call := func(m string, params map[string]any) answer {
		return mustOK(t, appCall(t, s, p, tok.AccessToken, m, params))
	}
	call("event.bind", map[string]any{"event": "ONCRMDEALUPDATE", "handler": h.URL})
	call("event.bind", map[string]any{"event": "ONCRMDEALUPDATE", "event_type": "offline"})
	call("event.bind", map[string]any{"event": "ONOFFLINEEVENT", "handler": h.URL})
	p.SetFaults(Faults{LoseDeliveries: true})
	if err := p.UpdateRecord("deal", 1, 2, map[string]any{"COMMENTS": "x"}); err != nil {
		t.Fatal(err)
	}
	p.SetFaults(Faults{})
	if err := p.UpdateRecord("deal", 2, 2, map[string]any{"COMMENTS": "y"}); err != nil {
		t.Fatal(err)
	}
	ds := waitN(t, p, 2) // the second change's event and notification only
	for _, d := range ds {
		if d.Body.Get("data[FIELDS][ID]") == "1" {
			t.Errorf("lost delivery was sent: %+v", d.Body)
		}
	}
	if all := call("event.offline.list", nil); fmt.Sprint(all.body["total"]) != "2" {
		t.Errorf("offline queue = %s, want both changes", all.raw)
	}
}

func TestPlacements(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{})
	bind := appCall(t, s, p, tok.AccessToken, "placement.bind", map[string]any{"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": "http://127.0.0.1:1/tab", "TITLE": "History"})
	mustOK(t, bind)
	if bind.body["result"] != true {
		t.Errorf("placement.bind = %s", bind.raw)
	}
	g := mustOK(t, appCall(t, s, p, tok.AccessToken, "placement.get", nil))
	if l := list(g.body["result"]); len(l) != 1 || object(l[0])["title"] != "History" {
		t.Errorf("placement.get = %s", g.raw)
	}
	if pl := p.Placements(); len(pl) != 1 || pl[0].Code != "CRM_DEAL_DETAIL_TAB" {
		t.Errorf("Placements = %v", pl)
	}
	bad := appCall(t, s, p, tok.AccessToken, "placement.bind", map[string]any{"PLACEMENT": "NOPE", "HANDLER": "http://x.example/"})
	if bad.errCode() != "ERROR_PLACEMENT_NOT_FOUND" {
		t.Errorf("unknown placement = %s", bad.raw)
	}
	u := mustOK(t, appCall(t, s, p, tok.AccessToken, "placement.unbind", map[string]any{"PLACEMENT": "CRM_DEAL_DETAIL_TAB"}))
	if fmt.Sprint(object(u.body["result"])["count"]) != "1" {
		t.Errorf("placement.unbind = %s", u.raw)
	}
}
