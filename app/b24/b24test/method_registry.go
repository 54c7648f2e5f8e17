package b24test

import (
	"sort"
)

// method describes one REST method.
type method struct {
	name    string
	scope   string // "" = basic, available to every caller
	appOnly bool   // needs application context (an OAuth token)
	noBatch bool   // refused inside batch
	fn      func(*call) (callResult, *apiError)
}

// methods is the method table, filled by init functions of the files that
// implement them.
var methods = map[string]*method{}

func register(ms ...*method) {
	for _, m := range ms {
		methods[m.name] = m
	}
}

func ok(v any) (callResult, *apiError) { return callResult{value: v}, nil }

func init() {
	register(
		&method{name: "server.time", fn: func(c *call) (callResult, *apiError) {
			return ok(c.portal.formatTime(c.srv.now()))
		}},
		&method{name: "scope", fn: methodScope},
		&method{name: "methods", fn: methodMethods},
		&method{name: "method.get", fn: methodGet},
		&method{name: "app.info", appOnly: true, fn: methodAppInfo},
	)
}

func methodScope(c *call) (callResult, *apiError) {
	if c.str("full") == "1" || c.str("full") == "true" || !c.app {
		return ok(listOf(anySlice(allScopes)...))
	}
	return ok(listOf(anySlice(c.srv.appScopes())...))
}

// allScopes are the scopes a webhook has and `scope full=true` lists.
var allScopes = []string{"crm", "user", "user_brief", "user_basic", "placement", "basic"}

func methodMethods(c *call) (callResult, *apiError) {
	names := make([]string, 0, len(methods))
	for n, m := range methods {
		if c.hasScope(m.scope) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return ok(listOf(anySlice(names)...))
}

func methodGet(c *call) (callResult, *apiError) {
	m, exists := methods[normalizeMethod(c.str("name"))]
	return ok(objOf("isExisting", exists, "isAvailable", exists && c.hasScope(m.scope)))
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
