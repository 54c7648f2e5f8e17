package db

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"
)

// Tx is a Bun transaction that can also lend itself to River as a pgx.Tx, so a
// job is inserted (or completed) atomically with the rows Bun writes.
type Tx struct {
	bun.Tx
	conn bun.Conn
}

// RunInTx runs fn in one transaction on one pinned connection: commit when fn
// returns nil, roll back otherwise.
func (d *DB) RunInTx(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error {
	conn, err := d.Bun.Conn(ctx)
	if err != nil {
		return fmt.Errorf("db: pin connection: %w", err)
	}
	defer conn.Close()
	btx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	if err := fn(ctx, Tx{Tx: btx, conn: conn}); err != nil {
		return errors.Join(err, ignoreDone(btx.Rollback()))
	}
	if err := btx.Commit(); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

func ignoreDone(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

// Pgx calls fn with a pgx.Tx view of this transaction's session. The view is
// valid only inside fn; it cannot commit or roll back (the Bun Tx owns that).
func (t Tx) Pgx(fn func(pgx.Tx) error) error {
	return t.conn.Conn.Raw(func(dc any) error {
		c, ok := dc.(inlineConn)
		if !ok {
			return fmt.Errorf("db: unexpected driver connection %T", dc)
		}
		return fn(connTx{c.Conn.Conn()})
	})
}

var errOwned = errors.New("db: transaction is owned by the bun.Tx")

// connTx is a *pgx.Conn already inside a database/sql transaction, seen as a
// pgx.Tx. River (since v0.49) never begins savepoints on a caller's tx, so
// Begin is never needed; Commit and Rollback belong to the owner.
type connTx struct{ c *pgx.Conn }

func (t connTx) Begin(context.Context) (pgx.Tx, error) { return nil, errOwned }
func (t connTx) Commit(context.Context) error          { return errOwned }
func (t connTx) Rollback(context.Context) error        { return errOwned }
func (t connTx) CopyFrom(ctx context.Context, n pgx.Identifier, c []string, s pgx.CopyFromSource) (int64, error) {
	return t.c.CopyFrom(ctx, n, c, s)
}
func (t connTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return t.c.SendBatch(ctx, b)
}

// LargeObjects is unsupported: Trail stores no large objects.
func (t connTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }
func (t connTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.c.Prepare(ctx, name, sql)
}
func (t connTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.c.Exec(ctx, sql, args...)
}
func (t connTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.c.Query(ctx, sql, args...)
}
func (t connTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.c.QueryRow(ctx, sql, args...)
}
func (t connTx) Conn() *pgx.Conn { return t.c }

// Exec runs a statement with pgx's $n parameters in the transaction (Bun's
// ExecContext takes its own ? placeholders instead).
func (t Tx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := t.Pgx(func(ptx pgx.Tx) error {
		var err error
		tag, err = ptx.Exec(ctx, sql, args...)
		return err
	})
	return tag, err
}
