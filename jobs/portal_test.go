package jobs

import (
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
)

// A job's client starts with the tokens of the installation its job has
// just read, rather than reading the row again for them: with the row's
// tokens gone after the read, the call still goes through.
func TestJobClientUsesTheTokensItRead(t *testing.T) {
	b := newBench(t, b24test.Options{})
	in, c, err := b.deps.callable(b.ctx, b.portal)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.d.Pool.Exec(b.ctx, `UPDATE installations SET access_token = NULL, refresh_token = NULL WHERE id = $1`, in.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Call(b.ctx, "crm.deal.fields", nil); err != nil {
		t.Errorf("call with the tokens read with the installation: %v", err)
	}
	// A client made without them reads the row, and finds no tokens.
	in.AccessToken, in.RefreshToken = nil, nil
	again, err := b.deps.Clients.For(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Call(b.ctx, "crm.deal.fields", nil); err == nil {
		t.Error("a client of an installation without tokens called the portal")
	}
}
