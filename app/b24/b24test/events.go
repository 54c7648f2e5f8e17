package b24test

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// binding is one event.bind registration.
type binding struct {
	id         int
	event      string
	handler    string
	authType   int // user whose tokens the handler gets; 0 = the acting user
	offline    bool
	connector  string
	minTimeout time.Duration
	lastNotify time.Time
}

// target is where one online event goes.
type target struct {
	url      string
	bindID   int
	authType int
}

// knownEvents are the events the emulator can bind, with their scope.
var knownEvents = func() map[string]string {
	m := map[string]string{}
	for _, t := range []string{"DEAL", "LEAD", "CONTACT", "COMPANY"} {
		for _, a := range []string{"ADD", "UPDATE", "DELETE"} {
			m["ONCRM"+t+a] = "crm"
		}
	}
	m["ONCRMDEALMOVETOCATEGORY"] = "crm"
	for _, e := range []string{"ONAPPINSTALL", "ONAPPUNINSTALL", "ONAPPUPDATE", "ONAPPPAYMENT", "ONAPPTEST", "ONAPPMETHODCONFIRM", "ONOFFLINEEVENT"} {
		m[e] = ""
	}
	return m
}()

func init() {
	register(
		&method{name: "event.bind", appOnly: true, fn: eventBind},
		&method{name: "event.unbind", appOnly: true, fn: eventUnbind},
		&method{name: "event.get", appOnly: true, fn: eventGet},
		&method{name: "events", fn: eventsList},
	)
}

var (
	errEventNotFound = newErr(http.StatusBadRequest, "ERROR_EVENT_NOT_FOUND", "Event not found")
	errBindFailed    = newErr(http.StatusBadRequest, "ERROR_CORE", "Unable to set event handler")
)

// validHandler accepts http and https URLs. Unlike Bitrix24 it allows
// loopback hosts, so handlers of a test can run on 127.0.0.1.
func validHandler(h string) bool {
	u, err := url.Parse(h)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func eventBind(c *call) (callResult, *apiError) {
	name := strings.ToUpper(c.str("event"))
	scope, known := knownEvents[name]
	if !known || !c.hasScope(scope) {
		return callResult{}, errEventNotFound
	}
	if aerr := c.connectorLicensed(); aerr != nil {
		return callResult{}, aerr
	}
	offline := strings.EqualFold(c.str("event_type"), "offline")
	authType, _ := strconv.Atoi(c.str("auth_type"))
	if !c.user.admin.Load() && (offline || (authType != 0 && authType != c.user.id)) {
		return callResult{}, errAccessDenied
	}
	handler := c.str("handler")
	if !offline && !validHandler(handler) {
		return callResult{}, newErr(http.StatusBadRequest, "ERROR_HANDLER_URL_MISMATCH", "Handler URL host doesn't match application url")
	}
	if offline {
		handler = ""
	}
	b := &binding{event: name, handler: handler, authType: authType, offline: offline, connector: c.str("auth_connector")}
	if opts := c.obj("options"); opts != nil {
		n, _ := strconv.Atoi(str(valueCI(opts, "minTimeout")))
		b.minTimeout = time.Duration(n) * time.Second
	}
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	inst := c.portal.inst
	if inst == nil {
		return callResult{}, errInvalidToken
	}
	for _, x := range inst.bindings {
		if x.event == b.event && x.handler == b.handler && x.authType == b.authType && x.offline == b.offline && x.connector == b.connector {
			return callResult{}, errBindFailed
		}
	}
	b.id = inst.nextBindID
	inst.nextBindID++
	inst.bindings = append(inst.bindings, b)
	return ok(true)
}

func eventUnbind(c *call) (callResult, *apiError) {
	if aerr := c.connectorLicensed(); aerr != nil {
		return callResult{}, aerr
	}
	name := strings.ToUpper(c.str("event"))
	handler := c.str("handler")
	_, hasAuthType := c.param("auth_type")
	authType, _ := strconv.Atoi(c.str("auth_type"))
	offline := strings.EqualFold(c.str("event_type"), "offline")
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	inst := c.portal.inst
	if inst == nil {
		return callResult{}, errInvalidToken
	}
	kept := inst.bindings[:0]
	n := 0
	for _, b := range inst.bindings {
		if b.event == name && b.offline == offline && (handler == "" || b.handler == handler) && (!hasAuthType || b.authType == authType) {
			n++
			continue
		}
		kept = append(kept, b)
	}
	inst.bindings = kept
	return ok(objOf("count", n))
}

func eventGet(c *call) (callResult, *apiError) {
	if aerr := c.connectorLicensed(); aerr != nil {
		return callResult{}, aerr
	}
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	out := listOf()
	if c.portal.inst == nil {
		return ok(out)
	}
	for _, b := range c.portal.inst.bindings {
		o := objOf("event", b.event, "handler", b.handler, "auth_type", strconv.Itoa(b.authType), "offline", map[bool]int{true: 1, false: 0}[b.offline])
		if b.connector != "" {
			o.set("connector_id", b.connector)
		}
		out.push(o)
	}
	return ok(out)
}

func eventsList(c *call) (callResult, *apiError) {
	var names []string
	for n, scope := range knownEvents {
		if c.str("full") != "" || c.hasScope(scope) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return ok(listOf(anySlice(names)...))
}

// onlineTargets lists the online handlers of an event; p.mu must be held.
func (p *Portal) onlineTargets(event string) []target {
	var ts []target
	if p.inst == nil {
		return nil
	}
	for _, b := range p.inst.bindings {
		if b.event == event && !b.offline {
			ts = append(ts, target{url: b.handler, bindID: b.id, authType: b.authType})
		}
	}
	return ts
}

// changed fans a CRM change out: online handlers get the form POST,
// offline bindings queue a record (keyed by event and data), and
// ONOFFLINEEVENT handlers are told (throttled by minTimeout). The app's
// own writes skip the bindings with the connector they were made with.
// Nothing happens until the installation is complete.
func (p *Portal) changed(ch change) {
	name := "ONCRM" + ch.et.upper + ch.action
	now := p.srv.now()
	p.mu.Lock()
	if p.inst == nil || !p.inst.complete {
		p.mu.Unlock()
		return
	}
	targets := p.onlineTargets(name)
	var notify []target
	queued := false
	for _, b := range p.inst.bindings {
		if b.offline && b.event == name && !ch.madeBy(b.connector) {
			p.inst.offline.put(b.connector, name, ch, now)
			queued = true
		}
	}
	if queued {
		for _, b := range p.inst.bindings {
			if b.event == "ONOFFLINEEVENT" && !b.offline && (b.lastNotify.IsZero() || now.Sub(b.lastNotify) >= b.minTimeout) {
				b.lastNotify = now
				notify = append(notify, target{url: b.handler, bindID: b.id, authType: b.authType})
			}
		}
	}
	if p.faults.LoseDeliveries {
		targets, notify = nil, nil
	}
	p.mu.Unlock()
	data := [][2]string{{"data[FIELDS][ID]", strconv.Itoa(ch.id)}}
	for _, t := range targets {
		p.send(t, name, data, ch.actor, false)
	}
	for _, t := range notify {
		p.send(t, "ONOFFLINEEVENT", [][2]string{{"data", ""}}, p.user(adminID), true)
	}
}

// send queues one delivery. Tokens belong to the binding's auth_type user,
// else to the actor; with neither (automation) auth carries none.
func (p *Portal) send(t target, event string, data [][2]string, actor *user, withRefresh bool) {
	p.mu.Lock()
	appToken := ""
	if p.inst != nil {
		appToken = p.inst.appToken
	}
	p.mu.Unlock()
	p.sendAs(t, event, data, actor, withRefresh, appToken)
}

// sendAs is send with the application_token given: an uninstall's event
// names the installation that is already gone.
func (p *Portal) sendAs(t target, event string, data [][2]string, actor *user, withRefresh bool, appToken string) {
	if p.currentFaults().LoseDeliveries {
		return
	}
	if t.authType != 0 {
		actor = p.user(t.authType)
	}
	a := p.srv.registeredApp()
	now := p.srv.now()
	form := [][2]string{{"event", event}}
	if t.bindID != 0 {
		form = append(form, [2]string{"event_handler_id", strconv.Itoa(t.bindID)})
	}
	form = append(form, data...)
	form = append(form, [2]string{"ts", strconv.FormatInt(now.Unix(), 10)})
	if actor != nil && a != nil {
		p.srv.mu.Lock()
		tok := p.srv.issueLocked(p, actor.id)
		p.srv.mu.Unlock()
		form = append(form,
			[2]string{"auth[access_token]", tok.AccessToken},
			[2]string{"auth[expires]", strconv.FormatInt(tok.Expires.Unix(), 10)},
			[2]string{"auth[expires_in]", strconv.Itoa(tok.ExpiresIn)},
			[2]string{"auth[scope]", scopeString(a.Scopes)},
		)
		form = append(form, [2]string{"auth[domain]", p.Domain()}, [2]string{"auth[server_endpoint]", p.srv.OAuthEndpoint()}, [2]string{"auth[status]", "F"},
			[2]string{"auth[client_endpoint]", p.ClientEndpoint()}, [2]string{"auth[member_id]", p.memberID}, [2]string{"auth[user_id]", strconv.Itoa(actor.id)})
		if withRefresh {
			form = append(form, [2]string{"auth[refresh_token]", tok.RefreshToken})
		}
	} else {
		form = append(form, [2]string{"auth[domain]", p.Domain()}, [2]string{"auth[client_endpoint]", p.ClientEndpoint()},
			[2]string{"auth[server_endpoint]", p.srv.OAuthEndpoint()}, [2]string{"auth[member_id]", p.memberID})
	}
	form = append(form, [2]string{"auth[application_token]", appToken})
	p.srv.events.enqueue(delivery{portal: p, url: t.url, event: event, body: encodeForm(form)})
}

// encodeForm URL-encodes pairs in order, brackets escaped as browsers and
// PHP clients send them.
func encodeForm(pairs [][2]string) string {
	var b strings.Builder
	for i, kv := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
	}
	return b.String()
}
