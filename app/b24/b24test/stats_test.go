package b24test

import "testing"

// Requests refused for their token are counted apart from the others.
func TestUnauthenticatedCounted(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{})
	before := p.Stats()
	mustOK(t, appCall(t, s, p, tok.AccessToken, "user.current", nil))
	if a := appCall(t, s, p, "0123456789abcdef", "user.current", nil); a.status != 401 {
		t.Fatalf("unknown token = %d %s", a.status, a.raw)
	}
	after := p.Stats()
	if after.Requests-before.Requests != 2 || after.Unauthenticated-before.Unauthenticated != 1 {
		t.Errorf("requests +%d, unauthenticated +%d; want +2 and +1",
			after.Requests-before.Requests, after.Unauthenticated-before.Unauthenticated)
	}
}
