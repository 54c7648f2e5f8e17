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

// The errors of event.bind and event.unbind, in the order the rest module
// checks them (https://apidocs.bitrix24.com/api-reference/events/event-bind.html).
var (
	errEventNotFound      = newErr(http.StatusBadRequest, "ERROR_EVENT_NOT_FOUND", "Event not found")
	errEventArg           = newErr(http.StatusBadRequest, "ERROR_ARGUMENT", "Argument 'EVENT' is null or empty")
	errHandlerArg         = newErr(http.StatusBadRequest, "ERROR_ARGUMENT", "Argument 'HANDLER' is null or empty")
	errEventType          = newErr(http.StatusBadRequest, "ERROR_ARGUMENT", "Value must be one of {online|offline}")
	errNoOffline          = newErr(http.StatusBadRequest, "ERROR_ARGUMENT", "Offline event cannot be registered for this event.")
	errWrongHandlerURL    = newErr(http.StatusBadRequest, "ERROR_WRONG_HANDLER_URL", "Wrong handler URL")
	errHandlerProtocol    = newErr(http.StatusBadRequest, "ERROR_UNSUPPORTED_PROTOCOL", "Unsupported handler protocol")
	errBindFailed         = newErr(http.StatusBadRequest, "ERROR_CORE", "Unable to set event handler: Handler already binded")
	errOfflineBindAdmin   = newErr(http.StatusForbidden, "ACCESS_DENIED", "Access denied! Offline events binding requires administrator access rights")
	errAuthTypeAdmin      = newErr(http.StatusForbidden, "ACCESS_DENIED", "Access denied! Event binding with AUTH_TYPE requires administrator access rights")
	errOfflineUnbindAdmin = newErr(http.StatusForbidden, "ACCESS_DENIED", "Access denied! Offline events unbinding requires administrator access rights")
)

// handlerError checks a handler URL: http or https with a host that has a
// dot. Unlike Bitrix24 it also allows localhost, so that handlers of a test
// or a local setup can be reached.
func handlerError(h string) *apiError {
	u, err := url.Parse(h)
	if err != nil {
		return errWrongHandlerURL
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errHandlerProtocol
	}
	host := u.Hostname()
	if host == "" || !strings.Contains(host, ".") && host != "localhost" {
		return errWrongHandlerURL
	}
	return nil
}

// eventType reads event_type: online (the default) or offline.
func eventType(c *call) (offline bool, aerr *apiError) {
	switch strings.ToLower(c.str("event_type")) {
	case "", "online":
		return false, nil
	case "offline":
		return true, nil
	}
	return false, errEventType
}

func eventBind(c *call) (callResult, *apiError) {
	name := strings.ToUpper(strings.TrimSpace(c.str("event")))
	if name == "" {
		return callResult{}, errEventArg
	}
	offline, aerr := eventType(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	authType, _ := strconv.Atoi(c.str("auth_type"))
	admin := c.user.admin.Load()
	if offline && !admin {
		return callResult{}, errOfflineBindAdmin
	}
	if !admin && authType != 0 && authType != c.user.id {
		return callResult{}, errAuthTypeAdmin
	}
	scope, known := c.portal.knownEvent(name)
	if !known || !c.hasScope(scope) {
		return callResult{}, errEventNotFound
	}
	if aerr := c.connectorLicensed(); aerr != nil {
		return callResult{}, aerr
	}
	handler := c.str("handler")
	switch {
	case offline && name == "ONOFFLINEEVENT":
		return callResult{}, errNoOffline
	case offline:
		handler = ""
	case handler == "":
		return callResult{}, errHandlerArg
	default:
		if aerr := handlerError(handler); aerr != nil {
			return callResult{}, aerr
		}
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
	name := strings.ToUpper(strings.TrimSpace(c.str("event")))
	if name == "" {
		return callResult{}, errEventArg
	}
	offline, aerr := eventType(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	if offline && !c.user.admin.Load() {
		return callResult{}, errOfflineUnbindAdmin
	}
	if aerr := c.connectorLicensed(); aerr != nil {
		return callResult{}, aerr
	}
	handler := c.str("handler")
	if !offline && handler == "" {
		return callResult{}, errHandlerArg
	}
	_, hasAuthType := c.param("auth_type")
	authType, _ := strconv.Atoi(c.str("auth_type"))
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
	for n, scope := range c.portal.portalEvents() {
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
	for _, ev := range itemEvents(ch) {
		p.fire(ev, ch)
	}
}

// fire delivers one event of a change as changed describes.
func (p *Portal) fire(ev crmEvent, ch change) {
	name := ev.name
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
			p.inst.offline.put(b.connector, ev, ch, now)
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
	data := append(ev.data(ch.id), ch.fields...)
	for _, t := range targets {
		p.send(t, name, data, ch.actor, authEvent)
	}
	for _, t := range notify {
		p.send(t, "ONOFFLINEEVENT", [][2]string{{"data", ""}}, p.user(adminID), authEvent)
	}
}

// authSet says which auth[...] keys a delivery carries.
type authSet int

const (
	// authEvent is the documented set of an event: access_token,
	// expires_in, scope, domain, server_endpoint, status, client_endpoint,
	// member_id, refresh_token, application_token; without a user
	// (automation) the tokens and expires_in are left out. auth[expires]
	// and auth[user_id] are not documented for events
	// (https://apidocs.bitrix24.com/api-reference/crm/deals/events/on-crm-deal-update.html).
	authEvent authSet = iota
	// authLifecycle is ONAPPINSTALL's and ONAPPUPDATE's: the event set plus
	// expires and user_id, as captured installs show.
	authLifecycle
	// authUninstall is ONAPPUNINSTALL's: no tokens, no scope, no status.
	authUninstall
)

// send queues one delivery. Tokens belong to the binding's auth_type user,
// else to the actor; with neither (automation) auth carries none.
func (p *Portal) send(t target, event string, data [][2]string, actor *user, set authSet) {
	p.mu.Lock()
	appToken := ""
	if p.inst != nil {
		appToken = p.inst.appToken
	}
	p.mu.Unlock()
	p.sendAs(t, event, data, actor, set, appToken)
}

// sendAs is send with the application_token given: an uninstall's event
// names the installation that is already gone.
func (p *Portal) sendAs(t target, event string, data [][2]string, actor *user, set authSet, appToken string) {
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
	site := [][2]string{{"auth[domain]", p.Domain()}, {"auth[server_endpoint]", p.srv.OAuthEndpoint()}}
	switch {
	case set == authUninstall || a == nil:
		form = append(form, site...)
	case actor == nil:
		form = append(form, [2]string{"auth[scope]", scopeString(a.Scopes)})
		form = append(form, site...)
		form = append(form, [2]string{"auth[status]", "F"})
	default:
		p.srv.mu.Lock()
		tok := p.srv.issueLocked(p, actor.id)
		p.srv.mu.Unlock()
		form = append(form, [2]string{"auth[access_token]", tok.AccessToken})
		if set == authLifecycle {
			form = append(form, [2]string{"auth[expires]", strconv.FormatInt(tok.Expires.Unix(), 10)})
		}
		form = append(form, [2]string{"auth[expires_in]", strconv.Itoa(tok.ExpiresIn)}, [2]string{"auth[scope]", scopeString(a.Scopes)})
		form = append(form, site...)
		form = append(form, [2]string{"auth[status]", "F"})
		if set == authLifecycle {
			form = append(form, [2]string{"auth[user_id]", strconv.Itoa(actor.id)})
		}
		form = append(form, [2]string{"auth[refresh_token]", tok.RefreshToken})
	}
	form = append(form, [2]string{"auth[client_endpoint]", p.ClientEndpoint()}, [2]string{"auth[member_id]", p.memberID})
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
