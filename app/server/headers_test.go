package server_test

import (
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// checkHeaders asserts what every answer of an app living in Bitrix24's
// iframes must carry: never X-Frame-Options (no value of it admits a
// cross-origin portal) and never a cookie (sessions travel in a header);
// nosniff and a referrer policy; a CSP that lets exactly the installation's
// portal frame its pages and nobody frame the rest; and, in HTML, no inline
// script, event handler or style attribute (the CSP forbids them, so they
// would silently not work).
func checkHeaders(t *testing.T, x exchange, portalOrigin string) {
	t.Helper()
	h := x.resp.Header
	if v := h.Get("X-Frame-Options"); v != "" {
		t.Errorf("%s: X-Frame-Options %q", x.name, v)
	}
	if v := h.Values("Set-Cookie"); len(v) > 0 {
		t.Errorf("%s: Set-Cookie %q", x.name, v)
	}
	if v := h.Get("X-Content-Type-Options"); v != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q, want nosniff", x.name, v)
	}
	if h.Get("Referrer-Policy") == "" {
		t.Errorf("%s: no Referrer-Policy", x.name)
	}
	ancestors, ok := directive(h.Get("Content-Security-Policy"), "frame-ancestors")
	switch {
	case !ok:
		t.Errorf("%s: no CSP frame-ancestors (CSP %q)", x.name, h.Get("Content-Security-Policy"))
	case x.portalPage && ancestors != portalOrigin:
		t.Errorf("%s: frame-ancestors %q, want exactly the portal %q", x.name, ancestors, portalOrigin)
	case !x.portalPage && ancestors != "'none'" && ancestors != portalOrigin:
		t.Errorf("%s: frame-ancestors %q, want 'none' (or the session's portal)", x.name, ancestors)
	}
	if strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		for _, p := range inlineCode(x.body) {
			t.Errorf("%s: %s", x.name, p)
		}
	}
}

// directive returns the value of one CSP directive.
func directive(csp, name string) (string, bool) {
	for _, d := range strings.Split(csp, ";") {
		f := strings.Fields(d)
		if len(f) > 0 && f[0] == name {
			return strings.Join(f[1:], " "), true
		}
	}
	return "", false
}

// inlineCode lists inline scripts, on* handlers and style attributes.
func inlineCode(doc string) []string {
	var problems []string
	z := html.NewTokenizer(strings.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				problems = append(problems, "unparsable HTML: "+z.Err().Error())
			}
			return problems
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		hasSrc := false
		for _, a := range tok.Attr {
			switch {
			case a.Key == "src":
				hasSrc = true
			case strings.HasPrefix(a.Key, "on"):
				problems = append(problems, "inline handler "+a.Key+" on <"+tok.Data+">")
			case a.Key == "style":
				problems = append(problems, "style attribute on <"+tok.Data+">")
			}
		}
		if tok.Data == "script" && !hasSrc {
			problems = append(problems, "inline <script>")
		}
	}
}
