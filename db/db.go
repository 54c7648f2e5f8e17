// Package db owns Trail's PostgreSQL access: one pgx pool per process shared by
// Bun (tenant data), River (jobs) and scs (sessions), the bridge that lets a River
// job be inserted inside a Bun transaction, and the migrations.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"

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
}

// Open connects to url and checks the server answers. MaxConns bounds every
// user of the pool at once, because Bun's database/sql handle borrows from it.
func Open(ctx context.Context, url string, maxConns int32) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("db: parse url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
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

// Close releases every connection.
func (d *DB) Close() {
	_ = d.Bun.Close()
	d.Pool.Close()
}

// Ping reports whether the database answers within ctx.
func (d *DB) Ping(ctx context.Context) error {
	return d.Pool.Ping(ctx)
}

var errNoRows = sql.ErrNoRows
