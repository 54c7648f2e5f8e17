package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

// prunable is a database with two portals' history, changes of three rows,
// some of it past retention: portal a keeps 30 days and has 12,345 rows
// older (more than two batches) and 12 younger; portal b chose nothing
// (730 days) and has 21 rows older than that and 12 younger.
type prunable struct {
	d    *db.DB
	a, b int64
}

func newPrunable(t *testing.T) *prunable {
	t.Helper()
	ctx := context.Background()
	p := &prunable{d: dbtest.New(t)}
	if err := p.d.Pool.QueryRow(ctx, `INSERT INTO installations (member_id, domain, client_endpoint)
		VALUES ('ma', 'a.example', 'https://a.example/rest/'), ('mb', 'b.example', 'https://b.example/rest/') RETURNING id`).Scan(&p.a); err != nil {
		t.Fatal(err)
	}
	p.b = p.a + 1
	if _, err := p.d.Pool.Exec(ctx, `INSERT INTO portal_settings (portal_id, retention_days) VALUES ($1, 30)`, p.a); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		portal  int64
		n, days int
	}{{p.a, 12345, 31}, {p.a, 12, 29}, {p.b, 21, 731}, {p.b, 12, 700}} {
		ids, _, err := db.ChangeIDsAndReverts(ctx, p.d.Bun, r.portal, r.n/3)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.d.Pool.Exec(ctx, `INSERT INTO history (portal_id, entity, entity_id, change_id, seq, action, field, new_value, changed_at)
			SELECT $1, 2, g / 3 % 100 + 1, $5 + g / 3, g % 3, $2, 'F' || g % 3, 'Tdeal ' || g, now() - make_interval(days => $3, secs => g / 3)
			FROM generate_series(0, $4 - 1) g`, r.portal, db.CodeUpdated, r.days, r.n, ids[0]); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func (p *prunable) left(t *testing.T, portal int64) int {
	t.Helper()
	var n int
	if err := p.d.Pool.QueryRow(context.Background(), `SELECT count(*) FROM history WHERE portal_id = $1`, portal).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPruneHistoryInBatches: every row past its portal's retention goes,
// in batches, the default retention counting for a portal that chose
// none; rows within retention stay.
func TestPruneHistoryInBatches(t *testing.T) {
	t.Parallel()
	p := newPrunable(t)
	deleted, done, err := PruneHistory(context.Background(), p.d, time.Now().Add(time.Hour))
	if err != nil || !done || deleted != 12345+21 {
		t.Fatalf("prune: %d deleted, done %v, %v; want 12,366 and done", deleted, done, err)
	}
	if a, b := p.left(t, p.a), p.left(t, p.b); a != 12 || b != 12 {
		t.Errorf("rows left: %d of portal a, %d of portal b; want the 12 within retention of each", a, b)
	}
	if e, err := db.ExpiredHistory(context.Background(), p.d.Bun); err != nil || len(e) != 0 {
		t.Errorf("expired after the prune: %+v, %v", e, err)
	}
}

// TestPruneHistoryStopsAtItsDeadline: past its deadline a prune deletes no
// more and says it is not done.
func TestPruneHistoryStopsAtItsDeadline(t *testing.T) {
	t.Parallel()
	p := newPrunable(t)
	deleted, done, err := PruneHistory(context.Background(), p.d, time.Now().Add(-time.Second))
	if err != nil || done || deleted != 0 {
		t.Fatalf("prune past its deadline: %d deleted, done %v, %v", deleted, done, err)
	}
	if a := p.left(t, p.a); a != 12345+12 {
		t.Errorf("%d rows of portal a left, want all", a)
	}
}

// TestPruneBatchLetsInsertsThrough: a batch deletes whole changes, and
// while its transaction is open a drain's write of the same portal's
// history commits (a lock wait would fail it at its lock timeout instead
// of hanging the test).
func TestPruneBatchLetsInsertsThrough(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p := newPrunable(t)
	expired, err := db.ExpiredHistory(ctx, p.d.Bun)
	if err != nil || len(expired) != 2 {
		t.Fatalf("expired: %+v, %v", expired, err)
	}
	prune, err := p.d.Bun.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer prune.Rollback()
	if changes, rows, err := db.PruneHistory(ctx, prune, expired[0], pruneBatch); err != nil || changes != pruneBatch || rows != 3*pruneBatch {
		t.Fatalf("batch: %d changes, %d rows, %v", changes, rows, err)
	}
	err = p.d.RunInTx(ctx, func(ctx context.Context, drain db.Tx) error {
		if _, err := drain.Exec(ctx, "SET LOCAL lock_timeout = '5s'"); err != nil {
			return err
		}
		ids, _, err := db.ChangeIDsAndReverts(ctx, drain, p.a, 1)
		if err != nil {
			return err
		}
		row := &db.HistoryRow{PortalID: p.a, Entity: 2, EntityID: 1, ChangeID: ids[0], Action: "updated", Field: "TITLE",
			ChangedAt: time.Now(), Source: "person"}
		return db.AddHistory(ctx, drain, []*db.HistoryRow{row})
	})
	if err != nil {
		t.Fatalf("a drain's write during a prune batch: %v", err)
	}
	if err := prune.Commit(); err != nil {
		t.Fatal(err)
	}
	if a := p.left(t, p.a); a != 12345+12+1-3*pruneBatch {
		t.Errorf("%d rows of portal a left, want %d", a, 12345+12+1-3*pruneBatch)
	}
	var split int
	if err := p.d.Pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT change_id FROM history
		WHERE portal_id = $1 AND changed_at < now() - interval '30 days' GROUP BY change_id HAVING count(*) <> 3) c`, p.a).Scan(&split); err != nil || split != 0 {
		t.Errorf("%d changes left in part by a batch, %v", split, err)
	}
}
