// Package apilog keeps the per-portal log of every Bitrix24 call Trail makes,
// which the Bitrix24 marketplace requires apps to keep for at least three
// days. Calls are observed on the hot path but written in batches by a
// background loop, so logging never slows a call down.
package apilog

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/db"
)

// Call is one observed call waiting to be written, keyed by the client's
// portal key (member_id) until the batch resolves it to the portal's id.
type Call struct {
	db.APICall
	member string
}

// Writer buffers observed calls and writes them in batches.
type Writer struct {
	db      *db.DB
	log     *slog.Logger
	ch      chan Call
	dropped atomic.Int64
	flushMu sync.Mutex
	ids     struct {
		mu sync.Mutex
		m  map[string]int64 // member_id -> portal id; ids never change
	}

	// Flush triggers: whichever comes first.
	BatchSize int
	Interval  time.Duration
}

// New returns a Writer with room for capacity calls waiting to be written.
func New(d *db.DB, log *slog.Logger, capacity int) *Writer {
	return &Writer{db: d, log: log, ch: make(chan Call, capacity), BatchSize: 500, Interval: time.Second}
}

// Observe records one call. It never blocks: when the buffer is full (the
// database is down for long) the call is counted as dropped instead.
func (w *Writer) Observe(ev b24.Event) {
	c := Call{member: ev.Portal, APICall: db.APICall{
		At: ev.Start, Method: ev.Method, Commands: ev.Commands,
		HTTPStatus: ev.Status, ErrorCode: ev.Code, Attempt: ev.Attempt,
		DurationMS: float32(ev.Duration.Seconds() * 1000),
		WaitedMS:   float32((ev.Waited + ev.Paced).Seconds() * 1000),
	}}
	if ev.Code == "" && ev.Err != nil {
		c.ErrorCode = "transport"
	}
	if ev.Time != nil && ev.Time.Operating > 0 {
		op := float32(ev.Time.Operating)
		c.Operating = &op
	}
	select {
	case w.ch <- c:
	default:
		w.dropped.Add(1)
	}
}

// Dropped returns how many calls were not logged because the buffer was full.
func (w *Writer) Dropped() int64 { return w.dropped.Load() }

// Run writes batches until ctx ends, then writes what is left.
func (w *Writer) Run(ctx context.Context) {
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	batch := make([]Call, 0, w.BatchSize)
	for {
		select {
		case c := <-w.ch:
			batch = append(batch, c)
			if len(batch) >= w.BatchSize {
				batch = w.write(context.WithoutCancel(ctx), batch)
			}
		case <-t.C:
			batch = w.write(ctx, batch)
		case <-ctx.Done():
			batch = w.drain(batch)
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			w.write(fctx, batch)
			cancel()
			return
		}
	}
}

// Flush writes everything observed so far; tests and shutdown use it.
func (w *Writer) Flush(ctx context.Context) {
	w.write(ctx, w.drain(nil))
}

func (w *Writer) drain(batch []Call) []Call {
	for {
		select {
		case c := <-w.ch:
			batch = append(batch, c)
		default:
			return batch
		}
	}
}

// write inserts the batch and returns it emptied. A failed write is logged
// and dropped: the log must never hold the calls it describes back.
func (w *Writer) write(ctx context.Context, batch []Call) []Call {
	if len(batch) == 0 {
		return batch
	}
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	if err := w.resolve(ctx, batch); err != nil {
		w.log.WarnContext(ctx, "api call log: resolve portals", "err", err)
	}
	rows := batch[:0:0]
	for _, c := range batch {
		if c.PortalID != 0 { // calls for keys that are no installation are not logged
			rows = append(rows, c)
		}
	}
	if len(rows) == 0 {
		return batch[:0]
	}
	if err := w.insert(ctx, rows); err != nil {
		w.log.WarnContext(ctx, "api call log write failed", "rows", len(batch), "err", err)
		w.dropped.Add(int64(len(batch)))
	}
	return batch[:0]
}

// resolve fills PortalID from the member_id keys, one query per batch.
func (w *Writer) resolve(ctx context.Context, batch []Call) error {
	w.ids.mu.Lock()
	defer w.ids.mu.Unlock()
	if w.ids.m == nil {
		w.ids.m = map[string]int64{}
	}
	var missing []string
	for _, c := range batch {
		if _, ok := w.ids.m[c.member]; !ok && !slices.Contains(missing, c.member) {
			missing = append(missing, c.member)
		}
	}
	if len(missing) > 0 {
		var rows []struct {
			ID       int64  `bun:"id"`
			MemberID string `bun:"member_id"`
		}
		if err := w.db.Bun.NewSelect().Table("installations").Column("id", "member_id").
			Where("member_id IN (?)", bun.List(missing)).Scan(ctx, &rows); err != nil {
			return err
		}
		for _, r := range rows {
			w.ids.m[r.MemberID] = r.ID
		}
	}
	for i := range batch {
		batch[i].PortalID = w.ids.m[batch[i].member]
	}
	return nil
}

// Prune deletes calls older than keep; the marketplace asks for at least
// three days, so shorter periods are raised to that.
func Prune(ctx context.Context, q bun.IDB, keep time.Duration) (int64, error) {
	if keep < 72*time.Hour {
		keep = 72 * time.Hour
	}
	res, err := q.NewDelete().Model((*db.APICall)(nil)).Where("at < ?", time.Now().Add(-keep)).Exec(ctx)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// insert writes the rows of portals that are not purged. The portals' rows
// are locked FOR SHARE first, which waits for a purge in progress (its
// first statement marks the installation purged) and makes a purge that
// starts later wait for this commit, so its deletes see these rows: a call
// that finishes around an uninstall never outlives the purge.
func (w *Writer) insert(ctx context.Context, rows []Call) error {
	ids := make([]int64, 0, len(rows))
	for _, c := range rows {
		if !slices.Contains(ids, c.PortalID) {
			ids = append(ids, c.PortalID)
		}
	}
	return w.db.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		var live []int64
		if err := tx.NewRaw("SELECT id FROM installations WHERE id IN (?) AND status <> ? ORDER BY id FOR SHARE",
			bun.List(ids), db.StatusPurged).Scan(ctx, &live); err != nil {
			return err
		}
		keep := make([]db.APICall, 0, len(rows))
		for _, c := range rows {
			if slices.Contains(live, c.PortalID) {
				keep = append(keep, c.APICall)
			}
		}
		if len(keep) == 0 {
			return nil
		}
		_, err := tx.NewInsert().Model(&keep).Exec(ctx)
		return err
	})
}
