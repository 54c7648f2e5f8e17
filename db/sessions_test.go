package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

// The sessions table holds a hash of each token, never the token, and the
// token still finds its session.
func TestSessionStoreKeepsNoToken(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	ctx := context.Background()
	s := db.NewSessionStore(d)
	const token = "raw-session-token-value"
	if err := s.CommitCtx(ctx, token, []byte("data"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM sessions WHERE token = $1 OR position($1 in token) > 0", token).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatal("the raw token is stored")
	}
	b, ok, err := s.FindCtx(ctx, token)
	if err != nil || !ok || string(b) != "data" {
		t.Fatalf("find = %q %v %v", b, ok, err)
	}
	if err := s.DeleteCtx(ctx, token); err != nil {
		t.Fatal(err)
	}
	if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM sessions").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d sessions after delete (%v)", n, err)
	}
}
