package db

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/uptrace/bun/migrate"
)

// migrateLockKey serialises migrations across every machine that runs them.
const migrateLockKey = "trail:migrate"

// Migrate brings River's schema and Trail's SQL migrations (sqlFS) to head.
// It is idempotent and safe to run from several machines at once: a session
// advisory lock makes the others wait, then find nothing left to do.
func (d *DB) Migrate(ctx context.Context, sqlFS fs.FS, log *slog.Logger) error {
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: acquire: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", migrateLockKey); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() {
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtextextended($1, 0))", migrateLockKey)
	}()

	rm, err := rivermigrate.New(riverpgxv5.New(d.Pool), &rivermigrate.Config{Logger: log})
	if err != nil {
		return fmt.Errorf("migrate: river: %w", err)
	}
	res, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("migrate: river: %w", err)
	}
	for _, v := range res.Versions {
		log.Info("applied river migration", "version", v.Version, "name", v.Name)
	}

	m, err := d.migrator(sqlFS)
	if err != nil {
		return err
	}
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("migrate: init: %w", err)
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, mg := range group.Migrations {
		log.Info("applied migration", "name", mg.Name)
	}
	return nil
}

// Pending lists Trail's SQL migrations not yet applied; /readyz uses it.
func (d *DB) Pending(ctx context.Context, sqlFS fs.FS) ([]string, error) {
	m, err := d.migrator(sqlFS)
	if err != nil {
		return nil, err
	}
	ms, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: status: %w", err)
	}
	var names []string
	for _, mg := range ms.Unapplied() {
		names = append(names, mg.Name)
	}
	return names, nil
}

func (d *DB) migrator(sqlFS fs.FS) (*migrate.Migrator, error) {
	ms := migrate.NewMigrations()
	if err := ms.Discover(sqlFS); err != nil {
		return nil, fmt.Errorf("migrate: discover: %w", err)
	}
	// The default marks a migration applied before running it, so a failing
	// one would be skipped forever after.
	return migrate.NewMigrator(d.Bun, ms, migrate.WithMarkAppliedOnSuccess(true)), nil
}
