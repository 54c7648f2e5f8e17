package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/trailhq/trail/app/b24/b24test"
)

// StorageResult is the last line `trail bench storage` prints: bytes on
// disk per row, indexes and TOAST included, and the parts of that figure.
type StorageResult struct {
	// Edits is how many changes came through the drain; Copies how many
	// times the bench then repeated each (see repeatEdits) before measuring.
	Edits        int     `json:"edits"`
	Copies       int     `json:"copies"`
	HistoryRows  int64   `json:"history_rows"`
	HistoryBytes float64 `json:"history_bytes_per_row"`
	// HistoryParts splits HistoryBytes into the table itself ("heap"),
	// its TOAST table and each index, per row.
	HistoryParts  map[string]float64 `json:"history_parts"`
	Snapshots     int64              `json:"snapshots"`
	SnapshotBytes float64            `json:"snapshot_bytes_per_row"`
	SnapshotParts map[string]float64 `json:"snapshot_parts"`
	// Prune is the retention prune measured next to drains; nil with
	// --prune 0.
	Prune *PruneResult `json:"prune,omitempty"`
}

// storageEdit is one person's edit of a deal: a title, an amount, a
// probability and a comment, the fields sales people change most.
func storageEdit(i int) map[string]any {
	return map[string]any{
		"TITLE":       "Order " + strconv.Itoa(i) + " for the Hanson account, second delivery",
		"OPPORTUNITY": strconv.Itoa(1000+i%9000) + ".50",
		"PROBABILITY": strconv.Itoa(10 + i%90),
		"COMMENTS":    "Called the buyer on " + time.Date(2026, 11, 1+i%28, 0, 0, 0, 0, time.UTC).Format("2 January") + "; they want the invoice by Friday.",
	}
}

// RunStorage is `trail bench storage`: it installs Trail on one emulated
// portal of --deals deals, waits for the baseline, edits every deal once
// on the portal (four fields, storageEdit) so that the portal's events
// bring the changes through Trail's own write path (the drain), and prints
// the bytes on disk per history row and per snapshot as a JSON
// StorageResult. DATABASE_URL names the server; the bench creates and
// drops its own database there.
func RunStorage(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trail bench storage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// The portal's rate limits are off: the bench measures what Trail
	// stores and what its database does, not how fast a portal answers.
	o := options{portals: 1, concurrency: 4, dbConns: 10, limits: b24test.Limits{Unlimited: true}}
	fs.IntVar(&o.deals, "deals", 2000, "deals on the emulated portal, each edited once")
	copies := fs.Int("copies", 20, "times each edit is repeated in SQL before measuring, so that per-row figures are not a few pages' fixed cost")
	timeout := fs.Duration("timeout", 10*time.Minute, "how long the changes may take to reach history")
	fs.BoolVar(&o.keep, "keep", false, "keep the database")
	var po pruneOptions
	fs.IntVar(&po.rows, "prune", 10_000_000, "expired history rows to prune next to drains; 0: no prune")
	fs.Float64Var(&po.rate, "rate", 20, "edits per second, each with its event, while the prune runs and before")
	fs.DurationVar(&po.window, "window", 30*time.Second, "how long the drains are measured before the prune")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.deals < 1 || *copies < 0 || po.rows < 0 || po.rate <= 0 || po.window <= 0 {
		return errors.New("bench storage: --deals, --rate and --window must be positive, --copies and --prune not negative")
	}
	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		return errors.New("bench storage: DATABASE_URL is not set")
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }
	s, err := startStack(ctx, admin, o, stderr)
	if err != nil {
		return fmt.Errorf("bench storage: %w", err)
	}
	runErr := recordArrivals(ctx, s)
	var res *StorageResult
	if runErr == nil {
		res, runErr = storage(ctx, s, o, *copies, *timeout, logf)
	}
	if runErr == nil && po.rows > 0 {
		res.Prune, runErr = prune(ctx, s, po, o.deals, *timeout, logf)
	}
	if err := s.stop(); err != nil && runErr == nil && ctx.Err() == nil {
		runErr = err
	}
	if runErr != nil {
		return fmt.Errorf("bench storage: %w", runErr)
	}
	line, _ := json.Marshal(res)
	fmt.Fprintln(stdout, string(line))
	return nil
}

func storage(ctx context.Context, s *stack, o options, copies int, timeout time.Duration, logf func(string, ...any)) (*StorageResult, error) {
	if err := installAll(ctx, s, o, true, logf); err != nil {
		return nil, err
	}
	// The bench sends the events itself, as the events bench does: each
	// change then arrives exactly once, however the portal's own
	// deliveries would have fared.
	p := s.emu.Portals()[0]
	p.SetFaults(b24test.Faults{LoseDeliveries: true})
	token := p.ApplicationToken()
	client := &http.Client{Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()
	for id := 1; id <= o.deals; id++ {
		if err := p.UpdateRecord("deal", id, p.AdminID(), storageEdit(id)); err != nil {
			return nil, err
		}
		if ok, err := post(ctx, client, s.events, eventBody(p, token, id)); err != nil || !ok {
			return nil, fmt.Errorf("event for deal %d not accepted: %v", id, err)
		}
	}
	// Every edit gives its deal a new title; a change's rows are written
	// in one transaction, so once every title is there, everything is.
	logf("%d deals edited; waiting for the drains", o.deals)
	deadline := time.Now().Add(timeout)
	for {
		var n int
		if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM history WHERE field = 'TITLE'`).Scan(&n); err != nil {
			return nil, err
		}
		if n >= o.deals {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%d of %d changes in history after %s", n, o.deals, timeout)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	if err := repeatEdits(ctx, s, copies, logf); err != nil {
		return nil, err
	}
	// Sizes as autovacuum would leave them: the visibility and free-space
	// maps are part of what a table costs.
	if _, err := s.db.Pool.Exec(ctx, "VACUUM ANALYZE history, snapshots"); err != nil {
		return nil, err
	}
	res := &StorageResult{Edits: o.deals, Copies: copies}
	var err error
	if res.HistoryRows, res.HistoryBytes, res.HistoryParts, err = tableSize(ctx, s, "history"); err != nil {
		return nil, err
	}
	if res.Snapshots, res.SnapshotBytes, res.SnapshotParts, err = tableSize(ctx, s, "snapshots"); err != nil {
		return nil, err
	}
	return res, nil
}

// repeatEdits makes each change the drain recorded happen copies times
// more, as SQL copies of its rows with later times and new change ids: the
// same records edited again, as history grows in use (a record's new rows
// land amid its index entries, not after them). A few hundred edits fill
// only a few pages, whose fixed cost (the free-space map alone is three
// pages) would count as part of each row. Snapshots grow with records,
// not edits: they are copied as other records, so that they are measured
// at the same scale.
func repeatEdits(ctx context.Context, s *stack, copies int, logf func(string, ...any)) error {
	if copies == 0 {
		return nil
	}
	_, err := s.db.Pool.Exec(ctx, `
		INSERT INTO history (portal_id, entity_id, change_id, changed_at, author_id, entity, utc_offset,
			action, change_kind, source, seq, field, item_key, old_value, new_value, reverts_change_id, restores_moment)
		SELECT h.portal_id, h.entity_id, c.change_id, h.changed_at + make_interval(mins => c.k), h.author_id, h.entity, h.utc_offset,
			h.action, h.change_kind, h.source, h.seq, h.field, h.item_key, h.old_value, h.new_value, h.reverts_change_id, h.restores_moment
		FROM (SELECT k, o.change_id AS was, nextval('history_change_seq') AS change_id
			FROM generate_series(1, $1) k, (SELECT DISTINCT change_id FROM history ORDER BY 1) o) c
		JOIN history h ON h.change_id = c.was
		ORDER BY c.k, h.entity_id, h.seq`, copies)
	if err != nil {
		return fmt.Errorf("repeat edits: %w", err)
	}
	_, err = s.db.Pool.Exec(ctx, `
		INSERT INTO snapshots (portal_id, entity, entity_id, data, format, learned, modified_at, deleted_at, tracked_since, updated_at)
		SELECT portal_id, entity, entity_id + k::bigint * 1000000000, data, format, learned, modified_at, deleted_at, tracked_since, updated_at
		FROM snapshots, generate_series(1, $1) k ORDER BY k, entity_id`, copies)
	if err != nil {
		return fmt.Errorf("repeat snapshots: %w", err)
	}
	logf("each edit and snapshot repeated %d times in SQL", copies)
	return nil
}

// tableSize returns a table's rows and its bytes on disk per row, in all
// and by part: the heap, its TOAST table (with the TOAST index) and each
// index.
func tableSize(ctx context.Context, s *stack, table string) (int64, float64, map[string]float64, error) {
	var rows, total int64
	if err := s.db.Pool.QueryRow(ctx, `SELECT count(*), pg_total_relation_size($1::regclass) FROM `+pgx.Identifier{table}.Sanitize(), table).
		Scan(&rows, &total); err != nil {
		return 0, 0, nil, err
	}
	if rows == 0 {
		return 0, 0, nil, fmt.Errorf("%s is empty", table)
	}
	parts := map[string]float64{}
	q, err := s.db.Pool.Query(ctx, `
		SELECT 'heap', pg_table_size(c.oid) - coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) FROM pg_class c WHERE c.oid = $1::regclass
		UNION ALL
		SELECT 'toast', coalesce(pg_total_relation_size(nullif(c.reltoastrelid, 0)), 0) FROM pg_class c WHERE c.oid = $1::regclass
		UNION ALL
		SELECT i.indexrelid::regclass::text, pg_relation_size(i.indexrelid) FROM pg_index i WHERE i.indrelid = $1::regclass`, table)
	if err != nil {
		return 0, 0, nil, err
	}
	defer q.Close()
	for q.Next() {
		var name string
		var n int64
		if err := q.Scan(&name, &n); err != nil {
			return 0, 0, nil, err
		}
		parts[name] = round2(float64(n) / float64(rows))
	}
	if err := q.Err(); err != nil {
		return 0, 0, nil, err
	}
	return rows, round2(float64(total) / float64(rows)), parts, nil
}
