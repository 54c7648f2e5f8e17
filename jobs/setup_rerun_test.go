package jobs

import (
	"context"
	"testing"

	"github.com/trailhq/trail/db"
)

// A setup asked for while one runs is not lost: a rerun follows it, once,
// and waits while the first still runs.
func TestSetupAskedWhileOneRunsIsRerun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, rc := insertOnly(t)
	ask := func() {
		t.Helper()
		if err := d.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error { return EnqueueSetup(ctx, tx, rc, 7) }); err != nil {
			t.Fatal(err)
		}
	}
	setups := func() (first, reruns []int64) {
		t.Helper()
		rows, err := d.Pool.Query(ctx, `SELECT id, coalesce((args->>'rerun')::bool, false) FROM river_job WHERE kind = 'setup_portal' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var rerun bool
			if err := rows.Scan(&id, &rerun); err != nil {
				t.Fatal(err)
			}
			if rerun {
				reruns = append(reruns, id)
			} else {
				first = append(first, id)
			}
		}
		return first, reruns
	}

	ask()
	ask() // waiting: the same job serves both
	first, reruns := setups()
	if len(first) != 1 || len(reruns) != 0 {
		t.Fatalf("setups %v, reruns %v: want one setup and no rerun", first, reruns)
	}
	if _, err := d.Pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() WHERE id = $1`, first[0]); err != nil {
		t.Fatal(err)
	}
	ask()
	ask() // one rerun covers every request made while the setup runs
	if first, reruns = setups(); len(first) != 1 || len(reruns) != 1 {
		t.Fatalf("setups %v, reruns %v: want the running setup and one rerun", first, reruns)
	}
	busy, err := otherSetupRunning(ctx, d.Bun, reruns[0], 7)
	if err != nil || !busy {
		t.Errorf("the rerun sees another setup running: %v, %v", busy, err)
	}
	if busy, err := otherSetupRunning(ctx, d.Bun, first[0], 7); err != nil || busy {
		t.Errorf("the running setup sees another one running: %v, %v", busy, err)
	}
	if busy, err := otherSetupRunning(ctx, d.Bun, reruns[0], 8); err != nil || busy {
		t.Errorf("another portal's setup counts: %v, %v", busy, err)
	}
}
