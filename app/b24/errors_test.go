package b24

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		status     int
		code, desc string
		want       error
	}{
		{503, "QUERY_LIMIT_EXCEEDED", "Too many requests", ErrRateLimited},
		{429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.", ErrOperationLimit},
		{503, "OVERLOAD_LIMIT", "", ErrOverloaded},
		{401, "expired_token", "The access token provided has expired", ErrExpiredToken},
		{401, "invalid_token", "", ErrInvalidToken},
		{401, "NO_AUTH_FOUND", "Wrong authorization data", ErrInvalidToken},
		{403, "insufficient_scope", "", ErrInsufficientScope},
		{403, "ACCESS_DENIED", "REST API is available only on commercial plans", ErrAccessDenied},
		{403, "WRONG_AUTH_TYPE", "", ErrAccessDenied},
		{404, "ERROR_METHOD_NOT_FOUND", "Method not found!", ErrNotFound},
		{400, "NOT_FOUND", "Element not found", ErrNotFound},
		{400, "", "Not found", ErrNotFound},
		{400, "", "ID is not defined or invalid.", ErrNotFound},
		{400, "", "Access denied.", ErrAccessDenied},
		{500, "PORTAL_DELETED", "", ErrPortalGone},
		{500, "INTERNAL_SERVER_ERROR", "", ErrServer},
		{502, "", "", ErrServer},
		{400, "invalid_grant", "", ErrReauthRequired},
		{400, "", "Parameter 'fields' must be array.", nil},
		{400, "ERROR_CORE", "", nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, tt.code, tt.desc), func(t *testing.T) {
			e := newError("crm.deal.get", tt.status, tt.code, tt.desc)
			var err error = e
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("%v does not match %v", err, tt.want)
			}
			for _, other := range []error{ErrRateLimited, ErrOperationLimit, ErrExpiredToken, ErrNotFound, ErrAccessDenied, ErrPortalGone, ErrTransport} {
				if other != tt.want && errors.Is(err, other) {
					t.Errorf("%v also matches %v", err, other)
				}
			}
		})
	}
}

func TestTransportErrorHidesSecrets(t *testing.T) {
	cause := &url.Error{Op: "Post", URL: "https://portal.example/rest/1/s3cr3t/crm.deal.list?auth=t0k3n", Err: errors.New("connection reset")}
	err := transportError("crm.deal.list", 0, cause)
	if s := err.Error(); strings.Contains(s, "s3cr3t") || strings.Contains(s, "t0k3n") {
		t.Fatalf("error leaks a secret: %s", s)
	}
	if !errors.Is(err, ErrTransport) {
		t.Error("not ErrTransport")
	}
}

func TestWouldWait(t *testing.T) {
	var err error = &WouldWaitError{Delay: 1500, Reason: "rate"}
	err = fmt.Errorf("sync: %w", err)
	if !errors.Is(err, ErrWouldWait) || !IsRetryable(err) {
		t.Error("WouldWaitError does not match ErrWouldWait")
	}
	if d, ok := RetryAfter(err); !ok || d != 1500 {
		t.Errorf("RetryAfter = %v %v", d, ok)
	}
}

func TestTokenPrintsNoSecrets(t *testing.T) {
	tok := Token{AccessToken: "acc3ss", RefreshToken: "r3fresh", ClientEndpoint: "https://p/rest/"}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok), fmt.Sprintf("%v", &tok)} {
		if strings.Contains(s, "acc3ss") || strings.Contains(s, "r3fresh") {
			t.Errorf("token printed with secrets: %s", s)
		}
	}
}

func TestIsIdempotent(t *testing.T) {
	for m, want := range map[string]bool{
		"crm.deal.list": true, "crm.deal.get": true, "crm.item.fields": true, "user.current": true,
		"user.admin": true, "profile": true, "event.get": true, "placement.get": true,
		"crm.deal.add": false, "crm.deal.update": false, "crm.item.delete": false, "event.bind": false,
		"event.offline.get": false, "event.offline.clear": false, "batch": false,
	} {
		if got := IsIdempotent(m); got != want {
			t.Errorf("IsIdempotent(%q) = %v", m, got)
		}
	}
}
