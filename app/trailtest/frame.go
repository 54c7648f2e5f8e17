package trailtest

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/web"
)

// Frame is a page of Trail inside a portal's iframe, opened by one
// emulated user: its requests carry the session token in a header, as
// htmx sends it, and no cookie ever appears.
type Frame struct {
	tb     testing.TB
	s      *Stack
	Portal *b24test.Portal
	User   int
	// Session is the session token the page holds; Renewal the ticket
	// that lets it open the next session.
	Session, Renewal string
	// Context is the record the page shows ("deal:3"), for renewals.
	Context string
	// Response is the last answer, its body read.
	Response *http.Response
}

// Page is a page holding the session token ("" for none: what anybody's
// requests look like).
func (s *Stack) Page(tb testing.TB, session string) *Frame {
	return &Frame{tb: tb, s: s, Session: session}
}

// FrameForm is the form a portal posts to open one of the app's
// placements, with the user's fresh tokens and the portal's application
// token.
func FrameForm(tb testing.TB, p *b24test.Portal, userID int, placement, options string) url.Values {
	tb.Helper()
	tok, err := p.IssueTokens(userID)
	if err != nil {
		tb.Fatal(err)
	}
	return url.Values{
		"AUTH_ID": {tok.AccessToken}, "AUTH_EXPIRES": {"3600"}, "REFRESH_ID": {tok.RefreshToken},
		"member_id": {p.MemberID()}, "status": {"L"}, "APPLICATION_TOKEN": {p.ApplicationToken()},
		"PLACEMENT": {placement}, "PLACEMENT_OPTIONS": {options},
	}
}

// FramePath is the address a portal posts a frame form to: Trail's path
// with the portal's query.
func FramePath(path, domain string) string {
	return path + "?DOMAIN=" + url.QueryEscape(domain) + "&PROTOCOL=0&LANG=en&APP_SID=abc"
}

// OpenApp opens the app's main page (placement DEFAULT) as userID of p.
func (s *Stack) OpenApp(tb testing.TB, p *b24test.Portal, userID int) (*Frame, int, string) {
	tb.Helper()
	return s.Open(tb, p, userID, "/bitrix/app", "DEFAULT", "{}")
}

// OpenTab opens a record's detail tab as userID of p.
func (s *Stack) OpenTab(tb testing.TB, p *b24test.Portal, userID int, placement, id string) (*Frame, int, string) {
	tb.Helper()
	return s.Open(tb, p, userID, "/bitrix/tab", placement, `{"ID":"`+id+`"}`)
}

// Open posts the frame form of a placement to Trail's path as the portal
// does, and returns the page with its status and body; the page's session
// and renewal ticket are kept for the requests that follow.
func (s *Stack) Open(tb testing.TB, p *b24test.Portal, userID int, path, placement, options string) (*Frame, int, string) {
	tb.Helper()
	f := &Frame{tb: tb, s: s, Portal: p, User: userID}
	status, body := f.send("POST", FramePath(path, p.Domain()), FrameForm(tb, p, userID, placement, options), false)
	// The page carries its session; an answer's header may too.
	if v := Between(body, `data-session="`, `"`); v != "" {
		f.Session = v
	}
	if v := Between(body, `data-renewal="`, `"`); v != "" {
		f.Renewal = v
	}
	f.Context = Between(body, `data-context="`, `"`)
	return f, status, body
}

// Do sends an htmx request with the page's session and returns status and
// body; GET requests carry form as the query. A new session token in the
// answer replaces the page's.
func (f *Frame) Do(method, path string, form url.Values) (int, string) {
	f.tb.Helper()
	return f.send(method, path, form, true)
}

// Get fetches a path with the page's session as a plain request (a
// download, a link), and returns status and body.
func (f *Frame) Get(path string) (int, string) {
	f.tb.Helper()
	return f.send("GET", path, nil, false)
}

// Must is Do that expects a status.
func (f *Frame) Must(want int, method, path string, form url.Values) string {
	f.tb.Helper()
	status, body := f.Do(method, path, form)
	if status != want {
		f.tb.Fatalf("%s %s = %d, want %d: %.300s", method, path, status, want, body)
	}
	return body
}

// Renew opens a new session with a fresh token of the page's user and the
// page's renewal ticket, as trail.js does once the session expired, and
// returns the status.
func (f *Frame) Renew() int {
	f.tb.Helper()
	tok, err := f.Portal.IssueTokens(f.User)
	if err != nil {
		f.tb.Fatal(err)
	}
	status, _ := f.send("POST", "/bitrix/session", url.Values{
		"AUTH_ID": {tok.AccessToken}, "member_id": {f.Portal.MemberID()}, "context": {f.Context}, "ticket": {f.Renewal},
	}, false)
	return status
}

func (f *Frame) send(method, path string, form url.Values, htmx bool) (int, string) {
	f.tb.Helper()
	h := http.Header{}
	if f.Session != "" {
		h.Set(web.SessionHeader, f.Session)
	}
	if htmx {
		h.Set("HX-Request", "true")
	}
	resp, body := f.s.Do(f.tb, method, path, form, h)
	f.Response = resp
	if c := resp.Header.Values("Set-Cookie"); len(c) > 0 {
		f.tb.Errorf("%s %s set a cookie: %v", method, path, c)
	}
	if tok := resp.Header.Get(web.SessionHeader); tok != "" {
		f.Session = tok
	}
	if t := resp.Header.Get(web.RenewalHeader); t != "" {
		f.Renewal = t
	}
	return resp.StatusCode, body
}

// Do sends one request to Trail with the headers and returns the answer
// as it is (a redirect is not followed) with its body read. GET and HEAD
// requests carry form as the query, others as a form body.
func (s *Stack) Do(tb testing.TB, method, path string, form url.Values, header http.Header) (*http.Response, string) {
	tb.Helper()
	var body io.Reader
	if (method == "GET" || method == "HEAD") && form != nil {
		path += "?" + form.Encode()
	} else if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.Base+path, body)
	if err != nil {
		tb.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, string(b)
}

// noRedirects shows redirects as they are: where they lead is part of the
// answer.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// PostFrame posts a frame form as it could be forged (any member_id,
// application token, user token and DOMAIN) and returns the answer with
// its body read.
func (s *Stack) PostFrame(tb testing.TB, path, domain string, form url.Values) (*http.Response, string) {
	tb.Helper()
	return s.Do(tb, "POST", FramePath(path, domain), form, nil)
}

// Between is the text of s between the first a and the next b, "" when
// there is none.
func Between(s, a, b string) string {
	_, s, ok := strings.Cut(s, a)
	if !ok {
		return ""
	}
	s, _, ok = strings.Cut(s, b)
	if !ok {
		return ""
	}
	return s
}
