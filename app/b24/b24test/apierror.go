package b24test

import "net/http"

// apiError is a REST failure as Bitrix24 reports it: an HTTP status and the
// {"error","error_description"} body, sometimes with extra keys.
type apiError struct {
	status int
	code   string
	desc   string
	extra  *obj
}

func (e *apiError) Error() string { return e.code + ": " + e.desc }

func newErr(status int, code, desc string) *apiError {
	return &apiError{status: status, code: code, desc: desc}
}

// body is the JSON error object.
func (e *apiError) body() *obj {
	o := objOf("error", e.code, "error_description", e.desc)
	if e.extra != nil {
		for _, k := range e.extra.keys {
			o.set(k, e.extra.m[k])
		}
	}
	return o
}

// The errors every method can answer with
// (https://apidocs.bitrix24.com/error-codes.html).
var (
	errNoAuth          = newErr(http.StatusUnauthorized, "NO_AUTH_FOUND", "Wrong authorization data")
	errExpiredToken    = newErr(http.StatusUnauthorized, "expired_token", "The access token provided has expired")
	errInvalidToken    = newErr(http.StatusUnauthorized, "invalid_token", "The access token provided is invalid.")
	errScope           = newErr(http.StatusForbidden, "insufficient_scope", "The request requires higher privileges than provided by the access token.")
	errWrongAuthType   = newErr(http.StatusForbidden, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method. Application context required")
	errAppContext      = newErr(http.StatusBadRequest, "ACCESS_DENIED", "Application context required")
	errAccessDenied    = newErr(http.StatusForbidden, "ACCESS_DENIED", "Access denied!")
	errQueryLimit      = newErr(http.StatusServiceUnavailable, "QUERY_LIMIT_EXCEEDED", "Too many requests")
	errInternal        = newErr(http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "Internal server error")
	errPortalDeleted   = newErr(http.StatusInternalServerError, "PORTAL_DELETED", "Portal was deleted")
	errBatchLength     = newErr(http.StatusBadRequest, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded")
	errBatchNotAllowed = newErr(http.StatusMethodNotAllowed, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage")
	errOperatingLimit  = newErr(http.StatusTooManyRequests, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.")
)

func errMethodNotFound() *apiError {
	return newErr(http.StatusNotFound, "ERROR_METHOD_NOT_FOUND", "Method not found!")
}

// errLegacy is how the frozen crm.deal|lead|contact|company methods fail:
// HTTP 400 with an empty error code.
func errLegacy(desc string) *apiError { return newErr(http.StatusBadRequest, "", desc) }

func errArgument(desc, arg string) *apiError {
	e := newErr(http.StatusBadRequest, "ERROR_ARGUMENT", desc)
	e.extra = objOf("argument", arg)
	return e
}
