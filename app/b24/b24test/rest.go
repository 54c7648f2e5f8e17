package b24test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// restTarget is what routing learnt about a REST request.
type restTarget struct {
	portal     *Portal // from the Host header, if it names a portal
	hookSecret string  // from a webhook path
	hookUser   int
	method     string
}

// caller is the authenticated side of a call: a user of a portal acting
// through the application (OAuth token) or through an incoming webhook.
type caller struct {
	ctx     context.Context
	portal  *Portal
	user    *user
	app     bool   // application context (OAuth token)
	hookKey string // webhook secret when !app
	token   string // the access token when app
}

// opKey keys the operating budget: per method and per application or
// webhook.
func (c *caller) opKey(method string) string {
	if c.app {
		return "app\x00" + method
	}
	return "hook\x00" + c.hookKey + "\x00" + method
}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request, t restTarget) {
	realStart := time.Now()
	start := s.now()
	method := normalizeMethod(t.method)
	params, err := readParams(r)
	if err != nil {
		writeError(w, newErr(http.StatusBadRequest, "INVALID_REQUEST", "Invalid request: "+err.Error()))
		return
	}
	c, p, aerr := s.authenticate(r, t, params)
	if p != nil {
		p.requests.Add(1)
		if f := p.currentFaults(); f.active() {
			if s.applyFaults(w, r, p, f) {
				return
			}
		}
	}
	if _, known := methods[method]; !known && aerr != nil {
		// The method is looked up before the caller is authenticated
		// (rest module, CRestServer::processExecution).
		aerr = errMethodNotFound()
	}
	if aerr != nil {
		if p != nil {
			p.refused.Add(1)
		}
		writeError(w, aerr)
		return
	}
	if !s.opts.Limits.Unlimited && !p.bucket.take(start, s.opts.Limits) {
		p.limited.Add(1)
		writeError(w, errQueryLimit)
		return
	}
	c.ctx = r.Context()
	res, aerr := s.invoke(c, method, params, false)
	simulated := s.opts.Cost.Base + res.processing
	if timeout := s.opts.Limits.RequestTimeout; simulated > timeout {
		s.sleep(r.Context(), timeout-time.Since(realStart))
		writeError(w, errInternal)
		return
	}
	s.sleep(r.Context(), simulated-time.Since(realStart))
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	out := newObj()
	out.set("result", res.value)
	if res.hasTotal {
		if res.hasNext {
			out.set("next", res.next)
		}
		out.set("total", res.total)
	}
	res.start = start
	res.processing = simulated
	out.set("time", s.timeBlock(p, res, true))
	writeJSON(w, http.StatusOK, out)
}

// normalizeMethod lower-cases the name and drops the .json suffix.
func normalizeMethod(m string) string {
	return strings.TrimSuffix(strings.ToLower(strings.Trim(m, "/")), ".json")
}

// authenticate resolves the portal and the caller. The portal is returned
// even when authentication fails, so faults and counters apply.
func (s *Server) authenticate(r *http.Request, t restTarget, params *obj) (*caller, *Portal, *apiError) {
	if t.hookSecret != "" {
		p := s.byHook[t.hookSecret]
		if p == nil {
			return nil, nil, errNoAuth
		}
		u := p.user(t.hookUser)
		if u == nil || u.id != adminID {
			return nil, p, errNoAuth
		}
		return &caller{portal: p, user: u, hookKey: t.hookSecret}, p, nil
	}
	token := ""
	if v, ok := params.get("auth"); ok {
		token = str(v)
	}
	if token == "" {
		if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			token = strings.TrimSpace(h)
		}
	}
	if token == "" {
		return nil, t.portal, errNoAuth
	}
	at, aerr := s.lookupAccess(token)
	if aerr != nil {
		return nil, t.portal, aerr
	}
	if t.portal != nil && t.portal != at.portal {
		return nil, t.portal, errInvalidToken
	}
	p := at.portal
	if p.currentFaults().InvalidToken {
		return nil, p, errInvalidToken
	}
	return &caller{portal: p, user: p.user(at.userID), app: true, token: token}, p, nil
}

// callResult is one method call's outcome and timing.
type callResult struct {
	value      any
	total      int
	hasTotal   bool
	next       int
	hasNext    bool
	start      time.Time
	processing time.Duration
	operating  time.Duration
	resetAt    time.Time
}

// invoke runs one method for the caller: existence, context, scope and
// operating budget checks, then the method, then the cost bookkeeping.
// Batch commands come here too, with inBatch set.
func (s *Server) invoke(c *caller, name string, params *obj, inBatch bool) (callResult, *apiError) {
	start := s.now()
	realStart := time.Now()
	m, ok := methods[name]
	if !ok {
		return callResult{start: start}, errMethodNotFound()
	}
	if inBatch && m.noBatch {
		return callResult{start: start}, errBatchNotAllowed
	}
	if m.appOnly && !c.app {
		if name == "app.info" {
			return callResult{start: start}, errAppContext
		}
		return callResult{start: start}, errWrongAuthType
	}
	if !c.hasScope(m.scope) {
		return callResult{start: start}, errScope
	}
	key := c.opKey(name)
	l := s.opts.Limits
	if !l.Unlimited && m.name != "batch" {
		if spent, _ := c.portal.op.state(key, start, l); spent >= l.OperatingBudget {
			c.portal.opLimited.Add(1)
			return callResult{start: start}, errOperatingLimit
		}
	}
	call := &call{caller: c, srv: s, params: params, method: name, cost: s.opts.Cost.PerCall}
	res, aerr := m.fn(call)
	res.start = start
	// Under a cost model the model alone is the portal's time: what the
	// emulator itself takes is the test machine's, and a machine busy with
	// other work must not spend a portal's operating budget.
	res.processing = call.cost
	if s.opts.Cost == (Cost{}) {
		res.processing += time.Since(realStart)
	}
	if m.name != "batch" {
		if !l.Unlimited {
			// A call cut off at the request's time limit spent that long.
			c.portal.op.charge(key, start, min(res.processing, l.RequestTimeout), l)
		}
		res.operating, res.resetAt = c.portal.op.state(key, start, l)
	}
	return res, aerr
}

// hasScope reports whether the caller may use a method of the scope.
// Webhooks are created with every scope; basic methods need none.
func (c *caller) hasScope(scope string) bool {
	if scope == "" || !c.app {
		return true
	}
	for _, s := range c.portal.srv.appScopes() {
		if s == scope || (scope == "user" && (s == "user_brief" || s == "user_basic")) {
			return true
		}
	}
	return false
}

// call is the context a method implementation gets.
type call struct {
	*caller
	srv    *Server
	params *obj
	method string
	cost   time.Duration
}

// param returns a top-level parameter, matching its name case-insensitively
// (docs show both id and ID).
func (c *call) param(name string) (any, bool) {
	if v, ok := c.params.get(name); ok {
		return v, true
	}
	for _, k := range c.params.keys {
		if strings.EqualFold(k, name) {
			return c.params.m[k], true
		}
	}
	return nil, false
}

func (c *call) str(name string) string {
	v, _ := c.param(name)
	return str(v)
}

func (c *call) obj(name string) *obj {
	v, _ := c.param(name)
	return asObj(v)
}

// timeBlock renders the answer's time object. The clock is the emulator's,
// so finish is start plus the processing time.
func (s *Server) timeBlock(p *Portal, r callResult, withOperating bool) *obj {
	finish := r.start.Add(r.processing)
	o := objOf(
		"start", unixFloat(r.start),
		"finish", unixFloat(finish),
		"duration", finish.Sub(r.start).Seconds(),
		"processing", r.processing.Seconds(),
		"date_start", p.formatTime(r.start),
		"date_finish", p.formatTime(finish),
	)
	if withOperating {
		if r.resetAt.IsZero() {
			r.resetAt = r.start.Add(s.opts.Limits.OperatingWindow)
		}
		o.set("operating_reset_at", r.resetAt.Unix())
		o.set("operating", r.operating.Seconds())
	}
	return o
}

func unixFloat(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if o, ok := v.(*obj); ok {
		// An answer is written as it is built: an Encoder would check and
		// compact the MarshalJSON output once more.
		var b bytes.Buffer
		if err := o.appendJSON(&b); err == nil {
			b.WriteByte('\n')
			_, _ = w.Write(b.Bytes())
			return
		}
	}
	e := json.NewEncoder(w)
	e.SetEscapeHTML(false)
	_ = e.Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) { writeJSON(w, e.status, e.body()) }
