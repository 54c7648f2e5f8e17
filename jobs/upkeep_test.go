package jobs

import (
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/db"
)

// TestTokenUpkeepRefreshesAnIdleGrant: a grant idle long enough for its
// refresh token to be at risk is refreshed; a recent one is left alone.
func TestTokenUpkeepRefreshesAnIdleGrant(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{})
	b.done(t, TokenUpkeepArgs{})
	if n := b.p.Refreshes(); n != 0 {
		t.Fatalf("%d refreshes of a fresh grant", n)
	}
	if _, err := b.d.Pool.Exec(b.ctx, `UPDATE installations SET expires_at = $2 WHERE id = $1`, b.portal, time.Now().Add(-2*tokenIdle)); err != nil {
		t.Fatal(err)
	}
	b.done(t, TokenUpkeepArgs{})
	if n := b.p.Refreshes(); n != 1 {
		t.Errorf("%d refreshes of an idle grant, want 1", n)
	}
	in, err := db.InstallationByID(b.ctx, b.d.Bun, b.portal)
	if err != nil {
		t.Fatal(err)
	}
	if in.ExpiresAt == nil || in.ExpiresAt.Before(time.Now()) {
		t.Errorf("expires at %v after the refresh", in.ExpiresAt)
	}
}
