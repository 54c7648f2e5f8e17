package b24

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakePortal is a minimal portal for the package's own tests: crm.deal.list
// with keyset filters, batch with $result references, an OAuth token
// endpoint with single-use refresh tokens, and a hook for injected faults.
// End-to-end behaviour is tested against the emulator in b24test.
type fakePortal struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	ids        []int64 // deal IDs, ascending
	unresolved string  // what an unresolved reference becomes: "" or the literal text
	access     string  // the valid access token
	refresh    string  // the valid refresh token
	refreshes  int     // successful refreshes
	requests   []string
	// hook runs first for each REST request; returning true means it
	// answered.
	hook func(w http.ResponseWriter, method string, form url.Values) bool
}

func newFakePortal(t *testing.T, deals int) *fakePortal {
	f := &fakePortal{t: t, access: "access-0", refresh: "refresh-0", unresolved: "literal"}
	for i := 1; i <= deals; i++ {
		f.ids = append(f.ids, int64(i*3)) // gaps, like real IDs
	}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakePortal) endpoint() string { return f.srv.URL + "/rest/" }

func (f *fakePortal) token() Token {
	return Token{AccessToken: f.access, RefreshToken: f.refresh, ClientEndpoint: f.endpoint(), ServerEndpoint: f.srv.URL + "/rest/"}
}

func (f *fakePortal) methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fakePortal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/oauth/token/") {
		f.serveToken(w, r)
		return
	}
	raw, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(raw))
	path := strings.TrimPrefix(r.URL.Path, "/rest/")
	parts := strings.Split(path, "/")
	method := parts[len(parts)-1]
	f.mu.Lock()
	f.requests = append(f.requests, method)
	hook := f.hook
	f.mu.Unlock()
	if hook != nil && hook(w, method, form) {
		return
	}
	if len(parts) == 1 {
		f.mu.Lock()
		ok := form.Get("auth") == f.access
		f.mu.Unlock()
		if !ok {
			writeJSON(w, 401, map[string]string{"error": "expired_token", "error_description": "The access token provided has expired"})
			return
		}
	} else if parts[0] != "1" || parts[1] != "secret" {
		writeJSON(w, 401, map[string]string{"error": "NO_AUTH_FOUND", "error_description": "Wrong authorization data"})
		return
	}
	time := map[string]any{"start": 1, "finish": 1.01, "duration": 0.01, "processing": 0.01, "operating": 0, "operating_reset_at": 1700000600}
	if method == "batch" {
		writeJSON(w, 200, map[string]any{"result": f.batch(orderedCmds(string(raw))), "time": time})
		return
	}
	res, total, e := f.run(method, form)
	if e != nil {
		writeJSON(w, 400, e)
		return
	}
	out := map[string]any{"result": res, "time": time}
	if total >= 0 {
		out["total"] = total
	}
	writeJSON(w, 200, out)
}

// orderedCmds returns the batch's commands in the order they were sent.
func orderedCmds(body string) [][2]string {
	var cmds [][2]string
	for _, kv := range strings.Split(body, "&") {
		k, v, _ := strings.Cut(kv, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		if name, ok := strings.CutPrefix(k, "cmd["); ok {
			cmds = append(cmds, [2]string{strings.TrimSuffix(name, "]"), v})
		}
	}
	return cmds
}

var refRE = regexp.MustCompile(`\$result\[([^\]]+)\]((?:\[[^\]]*\])*)`)

func (f *fakePortal) batch(cmds [][2]string) map[string]any {
	results := map[string]any{}
	errs := map[string]any{}
	times := map[string]any{}
	for _, c := range cmds {
		method, query, _ := strings.Cut(c[1], "?")
		query = refRE.ReplaceAllStringFunc(query, func(ref string) string {
			m := refRE.FindStringSubmatch(ref)
			v, ok := results[m[1]]
			for _, key := range strings.Split(strings.Trim(m[2], "[]"), "][") {
				if !ok || key == "" {
					break
				}
				switch x := v.(type) {
				case []map[string]any:
					i, _ := strconv.Atoi(key)
					if ok = i < len(x); ok {
						v = x[i]
					}
				case map[string]any:
					v, ok = x[key]
				default:
					ok = false
				}
			}
			if !ok {
				if f.unresolved == "literal" {
					return ref
				}
				return ""
			}
			return url.QueryEscape(toString(v))
		})
		form, _ := url.ParseQuery(query)
		res, _, e := f.run(method, form)
		if e != nil {
			errs[c[0]] = e
			continue
		}
		results[c[0]] = res
		times[c[0]] = map[string]any{"processing": 0.002, "operating": 1.5, "operating_reset_at": 1700000600}
	}
	return map[string]any{"result": results, "result_error": emptyAsList(errs), "result_total": []any{}, "result_next": []any{}, "result_time": times}
}

func emptyAsList(m map[string]any) any {
	if len(m) == 0 {
		return []any{}
	}
	return m
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// run executes one method; total is -1 when the method has none.
func (f *fakePortal) run(method string, form url.Values) (any, int, map[string]string) {
	switch method {
	case "crm.deal.list":
		f.mu.Lock()
		defer f.mu.Unlock()
		var after int64
		if s := form.Get("filter[>ID]"); s != "" {
			after, _ = strconv.ParseInt(s, 10, 64) // PHP casts "$result[…]" to 0
		}
		i, _ := slices.BinarySearch(f.ids, after+1)
		rows := []map[string]any{}
		for _, id := range f.ids[i:min(i+PageSize, len(f.ids))] {
			rows = append(rows, map[string]any{"ID": strconv.FormatInt(id, 10), "TITLE": "Deal " + strconv.FormatInt(id, 10)})
		}
		return rows, 0, nil
	case "crm.deal.get":
		return nil, -1, map[string]string{"error": "", "error_description": "Not found"}
	case "user.current":
		return map[string]any{"ID": "1", "NAME": "Ann", "UF_DEPARTMENT": []int{1}}, -1, nil
	case "echo":
		return form, -1, nil
	}
	return nil, -1, map[string]string{"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}
}

func (f *fakePortal) serveToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	if q.Get("client_secret") != "app-secret" {
		writeJSON(w, 401, map[string]string{"error": "invalid_client"})
		return
	}
	if q.Get("refresh_token") != f.refresh {
		writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "Invalid refresh token"})
		return
	}
	f.refreshes++
	f.access = "access-" + strconv.Itoa(f.refreshes)
	f.refresh = "refresh-" + strconv.Itoa(f.refreshes)
	writeJSON(w, 200, map[string]any{"access_token": f.access, "refresh_token": f.refresh, "expires_in": 3600,
		"client_endpoint": f.endpoint(), "server_endpoint": f.srv.URL + "/rest/", "member_id": "m1"})
}

func httptestServer(t *testing.T, h http.Handler) string {
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s.URL
}
