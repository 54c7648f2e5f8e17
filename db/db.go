// Package db owns Trail's PostgreSQL access: one pgx pool per process shared by
// Bun (tenant data), River (jobs) and scs (sessions), the bridge that lets a River
// job be inserted inside a Bun transaction, and the migrations.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// DB bundles the views of one connection pool: Pool for pgx users (River, scs,
// advisory locks) and Bun for models and queries.
type DB struct {
	Pool *pgxpool.Pool
	Bun  *bun.DB
	sql  *sql.DB
	// Listen, when set, holds River's LISTEN connection apart from Pool
	// (see OpenListen).
	Listen *pgxpool.Pool
}

// Open connects to url and checks the server answers. MaxConns bounds every
// user of the pool at once, because Bun's database/sql handle borrows from it.
func Open(ctx context.Context, url string, maxConns int32) (*DB, error) {
	return open(ctx, url, maxConns, false)
}

// OpenPooled is Open for a url that goes through a pooler in transaction
// mode (PgBouncer), where a server connection is this process's only for
// one transaction. Named prepared statements would outlive it, so pgx
// caches only what a statement takes and returns, and runs each query as
// the unnamed statement in one round trip, unless url names a mode itself
// (PgBouncer 1.21 and later with max_prepared_statements set can keep
// pgx's statement cache). Session state (advisory locks, SET, LISTEN) must
// not be used on such a pool.
// https://www.pgbouncer.org/features.html
func OpenPooled(ctx context.Context, url string, maxConns int32) (*DB, error) {
	return open(ctx, url, maxConns, true)
}

func open(ctx context.Context, url string, maxConns int32, pooled bool) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("db: parse url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	if pooled && !strings.Contains(url, "default_query_exec_mode") {
		cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	}
	// Managed Postgres (and PgBouncer in front of it) recycles idle and old
	// connections; stay below its limits rather than find dead sockets.
	if cfg.MaxConnLifetime > 10*time.Minute || cfg.MaxConnLifetime == 0 {
		cfg.MaxConnLifetime = 10 * time.Minute
	}
	if cfg.MaxConnIdleTime > 5*time.Minute || cfg.MaxConnIdleTime == 0 {
		cfg.MaxConnIdleTime = 5 * time.Minute
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: open pool: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("db: ping: %w", err)
	}
	sqldb := sql.OpenDB(inlineConnector{stdlib.GetPoolConnector(pool)})
	sqldb.SetMaxIdleConns(0) // idle connections wait in the pool, for everyone
	return &DB{Pool: pool, Bun: bun.NewDB(sqldb, pgdialect.New()), sql: sqldb}, nil
}

// OpenListen opens Listen, one connection on url straight to PostgreSQL
// for River's LISTEN, which needs a session that a transaction-mode pooler
// does not give.
func (d *DB) OpenListen(ctx context.Context, url string) error {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return fmt.Errorf("db: parse direct url: %w", err)
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("db: open direct pool: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return fmt.Errorf("db: ping direct: %w", err)
	}
	d.Listen = pool
	return nil
}

// Close releases every connection.
func (d *DB) Close() {
	_ = d.Bun.Close()
	d.Pool.Close()
	if d.Listen != nil {
		d.Listen.Close()
	}
}

// Ping reports whether the database answers within ctx.
func (d *DB) Ping(ctx context.Context) error {
	return d.Pool.Ping(ctx)
}

var errNoRows = sql.ErrNoRows
