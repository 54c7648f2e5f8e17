package db

import (
	"context"
	"database/sql/driver"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// inlineConnector hands Bun its connections from the shared pool. Bun
// writes a query's arguments into its text, so nearly every query Bun sends
// is new to the server; pgx's default for the pool (prepare, cache, then
// run) would spend a round trip preparing each one and push the statements
// River reuses out of the cache. Queries that come without arguments
// therefore go as one simple-protocol message: one round trip, nothing
// cached. Queries with arguments keep pgx's default.
type inlineConnector struct{ driver.Connector }

func (c inlineConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return inlineConn{conn.(*stdlib.Conn)}, nil
}

// inlineConn is a stdlib connection whose argument-less queries use the
// simple protocol; everything else is the stdlib connection's.
type inlineConn struct{ *stdlib.Conn }

var simpleProtocol = []driver.NamedValue{{Ordinal: 1, Value: pgx.QueryExecModeSimpleProtocol}}

func (c inlineConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 {
		args = simpleProtocol
	}
	return c.Conn.QueryContext(ctx, query, args)
}

func (c inlineConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 {
		args = simpleProtocol
	}
	return c.Conn.ExecContext(ctx, query, args)
}
