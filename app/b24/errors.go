package b24

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Sentinel errors. A returned error matches at most a few of them with
// errors.Is; most come wrapped in an [*Error] that carries the portal's code
// and description.
var (
	// ErrRateLimited: the portal refused the request because its leaky bucket
	// is full (QUERY_LIMIT_EXCEEDED). Refused before execution, so a retry is
	// always safe.
	ErrRateLimited = errors.New("b24: rate limited")
	// ErrOperationLimit: the method used up its execution-time budget
	// (OPERATION_TIME_LIMIT). Also refused before execution.
	ErrOperationLimit = errors.New("b24: operation time limit")
	// ErrOverloaded: the portal is blocked by hand (OVERLOAD_LIMIT).
	ErrOverloaded = errors.New("b24: portal overloaded")
	// ErrExpiredToken: the access token has expired.
	ErrExpiredToken = errors.New("b24: access token expired")
	// ErrInvalidToken: the token or webhook secret is not valid.
	ErrInvalidToken = errors.New("b24: invalid token")
	// ErrInsufficientScope: the application lacks the scope of the method.
	ErrInsufficientScope = errors.New("b24: insufficient scope")
	// ErrNotFound: the record or method does not exist.
	ErrNotFound = errors.New("b24: not found")
	// ErrAccessDenied: the token's user, the plan or the context may not do this.
	ErrAccessDenied = errors.New("b24: access denied")
	// ErrPortalGone: the portal was deleted or the application removed from it.
	ErrPortalGone = errors.New("b24: portal gone")
	// ErrPaymentRequired: the application's paid period is over.
	ErrPaymentRequired = errors.New("b24: payment required")
	// ErrServer: the portal failed with a 5xx status.
	ErrServer = errors.New("b24: server error")
	// ErrTransport: the request did not produce an answer (connection,
	// timeout, unreadable body).
	ErrTransport = errors.New("b24: transport error")
	// ErrReauthRequired: the installation's refresh token is no longer
	// accepted; only a new installation or authorisation brings it back.
	ErrReauthRequired = errors.New("b24: re-authorisation required")
	// ErrWouldWait: the call was not made because it would have had to wait;
	// the error is a [*WouldWaitError] that says for how long.
	ErrWouldWait = errors.New("b24: call would wait")
	// ErrAbandoned: the call was given up before it was sent (see Abandon
	// and ListOptions.Stop).
	ErrAbandoned = errors.New("b24: call abandoned before it was sent")
	// ErrRedirect: the portal redirected the request to another origin;
	// the client does not follow, so the token never goes there.
	ErrRedirect = errors.New("b24: redirect to another host refused")
	// ErrAnswerTooLarge: the answer was larger than MaxAnswerBytes.
	ErrAnswerTooLarge = errors.New("b24: answer too large")
)

// errTooLarge marks a body cut off at MaxAnswerBytes.
var errTooLarge = errors.New("answer larger than the limit")

// Error is a failure reported by a portal or by the OAuth server.
// Its message never contains a token.
type Error struct {
	Method      string // REST method or "oauth.token"; for batches "batch"
	Status      int    // HTTP status; 0 for a failed command inside a batch
	Code        string // the portal's error code as sent (may be empty)
	Description string // the portal's error_description
	Retried     int    // how many earlier attempts failed before this one

	kind  error // the sentinel this error matches
	cause error // transport or decoding error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("b24: ")
	b.WriteString(e.Method)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(": ")
		b.WriteString(e.Code)
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(e.cause.Error())
	}
	return b.String()
}

// Is reports whether target is the sentinel the error was classified as.
func (e *Error) Is(target error) bool { return target != nil && target == e.kind }

// Unwrap returns the underlying transport or decoding error, if any.
func (e *Error) Unwrap() error { return e.cause }

// Temporary reports whether the same request may succeed later unchanged.
func (e *Error) Temporary() bool {
	switch e.kind {
	case ErrRateLimited, ErrOperationLimit, ErrServer, ErrTransport, ErrOverloaded:
		return true
	}
	return false
}

// WouldWaitError is returned instead of blocking when a call was made with
// [NoWait] (or its context would expire before the wait is over). Nothing was
// sent and nothing was reserved; trying again after Delay is expected to go
// through.
type WouldWaitError struct {
	Delay  time.Duration
	Reason string // "rate" (the portal's bucket) or "operating" (the method's time budget)
}

func (e *WouldWaitError) Error() string {
	return fmt.Sprintf("b24: call would wait %s for the %s limit", e.Delay.Round(time.Millisecond), e.Reason)
}

// Is makes errors.Is(err, ErrWouldWait) true.
func (e *WouldWaitError) Is(target error) bool { return target == ErrWouldWait }

// IsRetryable reports whether err is worth retrying later without change:
// rate and time limits, server and transport failures, and would-wait errors.
func IsRetryable(err error) bool {
	if errors.Is(err, ErrWouldWait) {
		return true
	}
	var e *Error
	return errors.As(err, &e) && e.Temporary()
}

// RetryAfter returns how long a caller should wait before retrying err, and
// whether err says so at all.
func RetryAfter(err error) (time.Duration, bool) {
	var w *WouldWaitError
	if errors.As(err, &w) {
		return w.Delay, true
	}
	return 0, false
}

// classify maps a portal answer to its sentinel. Codes are compared without
// regard to case (portals send them in mixed case). Legacy CRM methods answer
// HTTP 400 with an empty code; their descriptions decide.
func classify(status int, code, desc string) error {
	switch strings.ToUpper(code) {
	case "QUERY_LIMIT_EXCEEDED":
		return ErrRateLimited
	case "OPERATION_TIME_LIMIT":
		return ErrOperationLimit
	case "OVERLOAD_LIMIT":
		return ErrOverloaded
	case "EXPIRED_TOKEN":
		return ErrExpiredToken
	case "INVALID_TOKEN", "NO_AUTH_FOUND", "INVALID_CREDENTIALS_TOKEN":
		return ErrInvalidToken
	case "INSUFFICIENT_SCOPE", "INVALID_SCOPE":
		return ErrInsufficientScope
	case "NOT_FOUND", "ERROR_METHOD_NOT_FOUND", "ERROR_NOT_FOUND", "ERROR_PLACEMENT_NOT_FOUND", "ERROR_EVENT_NOT_FOUND":
		return ErrNotFound
	case "ACCESS_DENIED", "INVALID_CREDENTIALS", "USER_ACCESS_ERROR", "WRONG_AUTH_TYPE", "ALLOWED_ONLY_INTRANET_USER", "METHOD_CONFIRM_WAITING":
		return ErrAccessDenied
	case "PORTAL_DELETED", "APPLICATION_NOT_FOUND", "ERROR_APPLICATION_NOT_FOUND":
		return ErrPortalGone
	case "PAYMENT_REQUIRED":
		return ErrPaymentRequired
	case "INVALID_GRANT":
		return ErrReauthRequired
	case "INTERNAL_SERVER_ERROR", "ERROR_UNEXPECTED_ANSWER":
		return ErrServer
	case "":
		d := strings.ToLower(desc)
		switch {
		case strings.Contains(d, "not found"), strings.Contains(d, "is not defined or invalid"):
			return ErrNotFound
		case strings.Contains(d, "access denied"):
			return ErrAccessDenied
		}
	}
	switch {
	case status == 401:
		return ErrInvalidToken
	case status == 403:
		return ErrAccessDenied
	case status == 404:
		return ErrNotFound
	case status == 429:
		return ErrOperationLimit
	case status >= 500:
		// A bare 503 comes from a proxy in front of the portal, not from its
		// rate limiter, which always names QUERY_LIMIT_EXCEEDED.
		return ErrServer
	}
	return nil
}

// newError builds an *Error for a portal answer.
func newError(method string, status int, code, desc string) *Error {
	return &Error{Method: method, Status: status, Code: code, Description: desc, kind: classify(status, code, desc)}
}

// transportError wraps a failure that produced no answer.
func transportError(method string, status int, cause error) *Error {
	return &Error{Method: method, Status: status, kind: ErrTransport, cause: scrub(cause)}
}

// scrub drops the URL from net/http errors: *url.Error prints the whole
// address, and addresses carry secrets (the webhook secret in the path, the
// refresh token and client secret in the OAuth query string).
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s request: %w", ue.Op, ue.Err)
	}
	return err
}
