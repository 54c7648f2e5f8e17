package metrics

import (
	"errors"
	"strings"

	"github.com/trailhq/trail/app/b24"
)

// ObserveCall records one request to a portal (a b24.Observer). The portal
// is deliberately not a label.
func (m *Metrics) ObserveCall(ev b24.Event) {
	fam := family(ev.Method)
	m.Calls.WithLabelValues(fam, statusClass(ev.Status), errorClass(ev.Err)).Inc()
	m.CallDuration.WithLabelValues(fam).Observe(ev.Duration.Seconds())
	if ev.Waited > 0 {
		m.LimitWait.WithLabelValues("rate").Add(ev.Waited.Seconds())
	}
	if ev.Paced > 0 {
		m.LimitWait.WithLabelValues("operating").Add(ev.Paced.Seconds())
	}
	if ev.Method == "oauth.token" {
		outcome := "ok"
		if ev.Err != nil {
			outcome = "failed"
		}
		m.Refreshes.WithLabelValues(outcome).Inc()
	}
}

// families are the first words of the methods Trail calls; anything else
// is "other", so a new method cannot grow the label set.
var families = map[string]bool{
	"batch": true, "crm": true, "event": true, "placement": true, "user": true,
	"app": true, "profile": true, "scope": true, "methods": true, "oauth": true,
	"userfieldconfig": true,
}

// family is a method's first two words ("crm.deal.list" → "crm.deal"),
// bounded by the families Bitrix24 has.
func family(method string) string {
	parts := strings.SplitN(strings.ToLower(method), ".", 3)
	if !families[parts[0]] {
		return "other"
	}
	if len(parts) == 1 || parts[0] == "batch" {
		return parts[0]
	}
	if parts[0] == "crm" && !crmObjects[parts[1]] {
		return "crm.other"
	}
	return parts[0] + "." + parts[1]
}

var crmObjects = map[string]bool{
	"deal": true, "lead": true, "contact": true, "company": true, "item": true, "status": true,
	"type": true, "userfield": true, "timeline": true, "activity": true, "requisite": true,
	"quote": true, "category": true, "currency": true,
}

func statusClass(status int) string {
	switch {
	case status == 0:
		return "none"
	case status < 300:
		return "2xx"
	case status < 400:
		return "3xx"
	case status < 500:
		return "4xx"
	}
	return "5xx"
}

// errorClass sorts a call's error into the classes that need different
// attention; "" when the call succeeded.
func errorClass(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, b24.ErrRateLimited):
		return "rate_limited"
	case errors.Is(err, b24.ErrOperationLimit):
		return "operation_limit"
	case errors.Is(err, b24.ErrOverloaded):
		return "overloaded"
	case errors.Is(err, b24.ErrExpiredToken), errors.Is(err, b24.ErrInvalidToken):
		return "token"
	case errors.Is(err, b24.ErrPortalGone):
		return "portal_gone"
	case errors.Is(err, b24.ErrNotFound):
		return "not_found"
	case errors.Is(err, b24.ErrAccessDenied):
		return "access_denied"
	case errors.Is(err, b24.ErrServer):
		return "server"
	case errors.Is(err, b24.ErrTransport):
		return "transport"
	}
	return "other"
}
