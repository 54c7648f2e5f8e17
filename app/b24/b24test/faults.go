package b24test

import (
	"net/http"
	"time"
)

// Faults make a portal misbehave, to test a client's error handling. Rates
// are shares of REST requests in [0, 1], drawn from the portal's seeded
// random source.
type Faults struct {
	// ErrorRate answers 500 INTERNAL_SERVER_ERROR.
	ErrorRate float64 `json:"error_rate"`
	// UnavailableRate answers a bare 503 page, as a front proxy does.
	UnavailableRate float64 `json:"unavailable_rate"`
	// HangRate never answers: the request hangs until the client gives up
	// or the server closes.
	HangRate float64 `json:"hang_rate"`
	// Delay is added to every answer (slow portal); nanoseconds in JSON.
	Delay time.Duration `json:"delay"`
	// QueryLimitStorm answers every request 503 QUERY_LIMIT_EXCEEDED.
	QueryLimitStorm bool `json:"query_limit_storm"`
	// InvalidToken answers every OAuth call 401 invalid_token.
	InvalidToken bool `json:"invalid_token"`
	// PortalDeleted answers every call 500 PORTAL_DELETED, as after the
	// account was deleted.
	PortalDeleted bool `json:"portal_deleted"`
	// LoseDeliveries drops every event delivery before it is sent, as when
	// the handler cannot be reached; the offline queue still fills. Lost
	// deliveries are not in the delivery log.
	LoseDeliveries bool `json:"lose_deliveries"`
}

func (f Faults) active() bool { return f != Faults{} }

// SetFaults replaces the portal's faults; the zero Faults heals it.
func (p *Portal) SetFaults(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
}

func (p *Portal) currentFaults() Faults {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults
}

func (p *Portal) roll(rate float64) bool {
	if rate <= 0 {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rnd.Float64() < rate
}

// applyFaults answers the request if a fault fires and reports whether it
// did; a Delay only slows the request down.
func (s *Server) applyFaults(w http.ResponseWriter, r *http.Request, p *Portal, f Faults) bool {
	switch {
	case f.PortalDeleted:
		writeError(w, errPortalDeleted)
	case f.QueryLimitStorm:
		p.limited.Add(1)
		writeError(w, errQueryLimit)
	case p.roll(f.HangRate):
		select {
		case <-r.Context().Done():
		case <-s.closing:
		}
	case p.roll(f.ErrorRate):
		writeError(w, errInternal)
	case p.roll(f.UnavailableRate):
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n"))
	default:
		s.sleep(r.Context(), f.Delay)
		return false
	}
	return true
}
