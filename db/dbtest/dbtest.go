// Package dbtest gives each test its own PostgreSQL database, cloned from a
// template that holds every migration, so tests in many packages run in
// parallel against a real server without seeing each other's rows.
package dbtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/migrations"
)

var (
	tplOnce sync.Once
	tplName string
	tplErr  error
)

// URL returns the admin connection string the tests use (DATABASE_URL). The
// task that runs the tests starts a throwaway cluster and sets it.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("DATABASE_URL")
	if u == "" {
		tb.Fatal("DATABASE_URL is not set: run the tests with `go tool task test`, which starts PostgreSQL")
	}
	return u
}

// New returns a migrated database that lives as long as the test.
func New(tb testing.TB) *db.DB {
	tb.Helper()
	d, err := db.Open(context.Background(), NewURL(tb), 8)
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	tb.Cleanup(d.Close)
	return d
}

// NewURL creates a migrated database for the test and returns its URL, for
// tests that open their own pools (several processes, a restarted server).
func NewURL(tb testing.TB) string {
	tb.Helper()
	admin := URL(tb)
	tplOnce.Do(func() { tplName, tplErr = ensureTemplate(admin) })
	if tplErr != nil {
		tb.Fatalf("dbtest: template: %v", tplErr)
	}
	return create(tb, admin, db.NewDatabaseName("trail_t_"), tplName)
}

// Empty creates an empty database (no migrations) for the test: for testing
// the migrations themselves.
func Empty(tb testing.TB) string {
	tb.Helper()
	admin := URL(tb)
	return create(tb, admin, db.NewDatabaseName("trail_e_"), "")
}

// create makes a database for the test, dropped when it ends, and returns
// its URL.
func create(tb testing.TB, admin, name, template string) string {
	tb.Helper()
	u, err := db.DatabaseURL(admin, name)
	if err != nil {
		tb.Fatalf("dbtest: DATABASE_URL: %v", err)
	}
	if err := db.CreateDatabase(context.Background(), admin, name, template); err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.DropDatabase(context.Background(), admin, name); err != nil {
			tb.Logf("dbtest: %v", err)
		}
	})
	return u
}

// ensureTemplate builds the template database once per migration set. Its
// name carries a hash of the migrations, so a changed migration gets a fresh
// template and concurrent test binaries agree on which one to use.
func ensureTemplate(admin string) (string, error) {
	sum, err := migrationsHash(migrations.FS)
	if err != nil {
		return "", err
	}
	name := "trail_tpl_" + sum[:12]
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	// Test binaries of several packages start at once: one builds, the rest wait.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended('trail:dbtest', 0))"); err != nil {
		return "", err
	}
	defer conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtextextended('trail:dbtest', 0))") //nolint:errcheck
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&exists); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	if err := db.DropDatabase(ctx, admin, name); err != nil {
		return "", err
	}
	if err := db.CreateDatabase(ctx, admin, name, ""); err != nil {
		return "", err
	}
	u, err := db.DatabaseURL(admin, name)
	if err != nil {
		return "", err
	}
	d, err := db.Open(ctx, u, 4)
	if err != nil {
		return "", err
	}
	err = d.Migrate(ctx, migrations.FS, slog.New(slog.DiscardHandler))
	d.Close()
	if err != nil {
		return "", fmt.Errorf("migrate template: %w", err)
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+name+" IS_TEMPLATE true"); err != nil {
		return "", err
	}
	return name, nil
}

func migrationsHash(fsys fs.FS) (string, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
