package b24test

import (
	"net/http"
	"testing"
)

// TestEventBindErrors answers each documented failure of event.bind and
// event.unbind with its code and text.
func TestEventBindErrors(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{})
	user, _ := p.IssueTokens(2)
	cases := []struct {
		token, method string
		params        map[string]any
		status        int
		code, desc    string
	}{
		{tok.AccessToken, "event.bind", map[string]any{"handler": "http://x.example/"}, 400, "ERROR_ARGUMENT", "Argument 'EVENT' is null or empty"},
		{tok.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALADD"}, 400, "ERROR_ARGUMENT", "Argument 'HANDLER' is null or empty"},
		{tok.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALADD", "handler": "http://x.example/", "event_type": "later"}, 400, "ERROR_ARGUMENT", "Value must be one of {online|offline}"},
		{tok.AccessToken, "event.bind", map[string]any{"event": "ONOFFLINEEVENT", "event_type": "offline"}, 400, "ERROR_ARGUMENT", "Offline event cannot be registered for this event."},
		{tok.AccessToken, "event.bind", map[string]any{"event": "ONNOTHING", "handler": "http://x.example/"}, 400, "ERROR_EVENT_NOT_FOUND", "Event not found"},
		{tok.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALADD", "handler": "http://intranet/ev"}, 400, "ERROR_WRONG_HANDLER_URL", "Wrong handler URL"},
		{tok.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALADD", "handler": "/ev"}, 400, "ERROR_UNSUPPORTED_PROTOCOL", "Unsupported handler protocol"},
		{tok.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALADD", "handler": "ftp://x.example/ev"}, 400, "ERROR_UNSUPPORTED_PROTOCOL", "Unsupported handler protocol"},
		{user.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALADD", "event_type": "offline"}, 403, "ACCESS_DENIED", "Access denied! Offline events binding requires administrator access rights"},
		{user.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALADD", "handler": "http://x.example/", "auth_type": 1}, 403, "ACCESS_DENIED", "Access denied! Event binding with AUTH_TYPE requires administrator access rights"},
		{tok.AccessToken, "event.bind", map[string]any{"event": "onCrmDealAdd", "handler": "http://x.example/"}, 200, "", ""},
		{tok.AccessToken, "event.bind", map[string]any{"event": "ONCRMDEALADD", "handler": "http://x.example/"}, 400, "ERROR_CORE", "Unable to set event handler: Handler already binded"},
		{tok.AccessToken, "event.unbind", map[string]any{"handler": "http://x.example/"}, 400, "ERROR_ARGUMENT", "Argument 'EVENT' is null or empty"},
		{tok.AccessToken, "event.unbind", map[string]any{"event": "ONCRMDEALADD"}, 400, "ERROR_ARGUMENT", "Argument 'HANDLER' is null or empty"},
		{user.AccessToken, "event.unbind", map[string]any{"event": "ONCRMDEALADD", "event_type": "offline"}, 403, "ACCESS_DENIED", "Access denied! Offline events unbinding requires administrator access rights"},
	}
	for _, c := range cases {
		a := appCall(t, s, p, c.token, c.method, c.params)
		if a.status != c.status || a.status != http.StatusOK && (a.body["error"] != c.code || a.body["error_description"] != c.desc) {
			t.Errorf("%s %v = %d %s, want %d %s %q", c.method, c.params, a.status, a.raw, c.status, c.code, c.desc)
		}
	}
}

func TestPlacementBindTwice(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{})
	params := func() map[string]any {
		return map[string]any{"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": "https://app.example/tab"}
	}
	mustOK(t, appCall(t, s, p, tok.AccessToken, "placement.bind", params()))
	a := appCall(t, s, p, tok.AccessToken, "placement.bind", params())
	if a.status != http.StatusBadRequest || a.body["error"] != "ERROR_CORE" || a.body["error_description"] != "Unable to set placement handler: Handler already binded" {
		t.Errorf("second placement.bind = %d %s", a.status, a.raw)
	}
	bad := map[string]any{"PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": "ftp://app.example/tab"}
	if a := appCall(t, s, p, tok.AccessToken, "placement.bind", bad); a.body["error"] != "ERROR_UNSUPPORTED_PROTOCOL" {
		t.Errorf("ftp handler = %d %s", a.status, a.raw)
	}
}

// TestMethodLookedUpBeforeAuth: an unknown method answers 404 whatever the
// token, a known one 401.
func TestMethodLookedUpBeforeAuth(t *testing.T) {
	t.Parallel()
	s, p, _ := installed(t, Options{})
	for _, token := range []string{"", "not-a-token"} {
		if a := appCall(t, s, p, token, "crm.deal.nothing", nil); a.status != http.StatusNotFound || a.errCode() != "ERROR_METHOD_NOT_FOUND" {
			t.Errorf("unknown method, token %q = %d %s", token, a.status, a.raw)
		}
		if a := appCall(t, s, p, token, "crm.deal.list", nil); a.status != http.StatusUnauthorized {
			t.Errorf("known method, token %q = %d %s", token, a.status, a.raw)
		}
	}
}
