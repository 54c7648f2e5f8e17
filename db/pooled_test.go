package db_test

import (
	"context"
	"testing"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

// A pool for a transaction-mode pooler leaves no prepared statement on the
// server connection, where the next transaction may belong to another
// process; a URL that names its own mode keeps it.
func TestOpenPooledPreparesNothing(t *testing.T) {
	t.Parallel()
	url := dbtest.Empty(t)
	prepared := func(open func(context.Context, string, int32) (*db.DB, error), url string) int {
		t.Helper()
		ctx := context.Background()
		d, err := open(ctx, url, 1)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		var one, n int
		for range 2 {
			if err := d.Pool.QueryRow(ctx, "SELECT $1::int", 1).Scan(&one); err != nil {
				t.Fatal(err)
			}
			var s string
			if err := d.Bun.NewRaw("SELECT ?::text", "bun").Scan(ctx, &s); err != nil {
				t.Fatal(err)
			}
		}
		if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM pg_prepared_statements").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := prepared(db.OpenPooled, url); n != 0 {
		t.Errorf("pooled: %d prepared statements left on the connection", n)
	}
	if n := prepared(db.Open, url); n == 0 {
		t.Errorf("direct: no prepared statement cached; the check above proves nothing")
	}
	if n := prepared(db.OpenPooled, url+"&default_query_exec_mode=cache_statement"); n == 0 {
		t.Errorf("pooled with its own mode: the URL's mode was overridden")
	}
}
