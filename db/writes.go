package db

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Execer runs a statement that returns no rows: a pgx pool, connection or
// transaction runs it at once, a Writes queues it.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Writes gathers statements of one transaction to send them together: one
// round trip for all instead of one each, which is most of what a short
// statement costs both sides. They run in order, each seeing what the ones
// before it did and (in READ COMMITTED) what other transactions committed
// before it began; the first that fails stops the rest and the transaction.
type Writes struct {
	b pgx.Batch
}

// Exec queues the statement; its outcome comes with Send.
func (w *Writes) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	w.b.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

// QueryRow queues a statement that returns one row, read by scan when
// the batch is sent.
func (w *Writes) QueryRow(sql string, scan func(pgx.Row) error, args ...any) {
	w.b.Queue(sql, args...).QueryRow(scan)
}

// Send runs the queued statements in tx and empties w.
func (w *Writes) Send(ctx context.Context, tx Tx) error {
	if w.b.Len() == 0 {
		return nil
	}
	defer func() { w.b = pgx.Batch{} }()
	return tx.Pgx(func(ptx pgx.Tx) error {
		return ptx.SendBatch(ctx, &w.b).Close()
	})
}
