package b24

import "strings"

// readVerbs are the last parts of method names that only read. Anything
// else (add, update, delete, set, bind, send, …) may change the portal.
var readVerbs = map[string]bool{
	"get": true, "list": true, "fields": true, "current": true, "admin": true,
	"info": true, "time": true, "search": true, "scope": true, "methods": true,
	"profile": true, "count": true,
}

// IsIdempotent reports whether repeating method after an answer got lost is
// harmless, judged by its name: reads are, writes are not. event.offline.get
// is a write: by default it deletes the events it returns.
func IsIdempotent(method string) bool {
	m := strings.ToLower(method)
	if m == "event.offline.get" {
		return false
	}
	if i := strings.LastIndexByte(m, '.'); i >= 0 {
		m = m[i+1:]
	}
	return readVerbs[m] || strings.HasPrefix(m, "get") || strings.HasPrefix(m, "list")
}

// CallOption changes how one call is made.
type CallOption func(*callConfig)

type callConfig struct {
	idempotent *bool
	noWait     bool
	abandon    <-chan struct{}
}

// Idempotent says whether the call may be repeated after a timeout or a
// lost connection, when the portal may or may not have executed it. By
// default reads are repeated and writes are not (see IsIdempotent); a write
// that fails that way returns an error matching ErrTransport or ErrServer
// and is not retried. Refusals that happen before execution (rate and time
// limits, expired tokens, connections that were never made) are retried
// either way.
func Idempotent(ok bool) CallOption { return func(c *callConfig) { c.idempotent = &ok } }

// NoWait makes the call fail with a *WouldWaitError (errors.Is
// ErrWouldWait) instead of waiting for the rate limiter or the method's
// time budget, so that a job can be rescheduled rather than hold a worker.
// Nothing is reserved or sent in that case.
func NoWait() CallOption { return func(c *callConfig) { c.noWait = true } }

// Abandon gives the call up with ErrAbandoned when stop closes while the
// call still waits for its slot, its time budget or its next attempt. A
// request already sent runs to its answer: the portal charges its time
// either way, so a caller ending its turn keeps what it paid for.
func Abandon(stop <-chan struct{}) CallOption { return func(c *callConfig) { c.abandon = stop } }

func newCallConfig(opts []CallOption) callConfig {
	var cc callConfig
	for _, o := range opts {
		o(&cc)
	}
	return cc
}
