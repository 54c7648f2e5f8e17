package db_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

type noteArgs struct {
	Note string `json:"note"`
}

func (noteArgs) Kind() string { return "test_note" }

// A job inserted through Tx.Pgx commits and rolls back with Bun's writes.
func TestRunInTxEnqueuesAtomically(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.New(t)
	rc, err := river.NewClient(riverpgxv5.New(d.Pool), &river.Config{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	insert := func(member string, fail bool) error {
		return d.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
			in := &db.Installation{MemberID: member, Domain: member + ".example", ClientEndpoint: "https://" + member + ".example/rest/", AuthMode: "oauth", Status: db.StatusActive}
			if _, err := tx.NewInsert().Model(in).ExcludeColumn("id", "installed_at", "updated_at").Exec(ctx); err != nil {
				return err
			}
			if err := tx.Pgx(func(ptx pgx.Tx) error {
				_, err := rc.InsertTx(ctx, ptx, noteArgs{Note: member}, nil)
				return err
			}); err != nil {
				return err
			}
			if fail {
				return errors.New("boom")
			}
			return nil
		})
	}
	if err := insert("rolledback", true); err == nil {
		t.Fatal("want the error back")
	}
	if err := insert("committed", false); err != nil {
		t.Fatal(err)
	}
	var rows, jobs int
	if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM installations").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'test_note' AND args->>'note' = 'committed'").Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	var stray int
	_ = d.Pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE args->>'note' = 'rolledback'").Scan(&stray)
	if rows != 1 || jobs != 1 || stray != 0 {
		t.Fatalf("installations=%d committed jobs=%d rolled-back jobs=%d, want 1, 1, 0", rows, jobs, stray)
	}
}
