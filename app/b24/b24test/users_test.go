package b24test

import "testing"

// An administrator demoted on the portal is no administrator to user.admin
// from then on, with the tokens already issued.
func TestSetAdmin(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{})
	if a := mustOK(t, appCall(t, s, p, tok.AccessToken, "user.admin", nil)); a.body["result"] != true {
		t.Fatalf("user.admin of the administrator = %s", a.raw)
	}
	if err := p.SetAdmin(p.AdminID(), false); err != nil {
		t.Fatal(err)
	}
	if a := mustOK(t, appCall(t, s, p, tok.AccessToken, "user.admin", nil)); a.body["result"] != false {
		t.Errorf("user.admin after demotion = %s", a.raw)
	}
	if err := p.SetAdmin(2, true); err != nil {
		t.Fatal(err)
	}
	if !p.Users()[1].Admin {
		t.Error("user 2 promoted is not listed as an administrator")
	}
	if p.SetAdmin(99, true) == nil {
		t.Error("an unknown user was changed")
	}
}
