package db_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
	"github.com/trailhq/trail/migrations"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// schemaFingerprint summarises every column, index and applied migration, so
// a second run that changed anything would show.
func schemaFingerprint(t *testing.T, d *db.DB) string {
	t.Helper()
	var s string
	err := d.Pool.QueryRow(context.Background(), `
		SELECT concat_ws('|',
		  (SELECT string_agg(table_name||'.'||column_name||':'||data_type, ',' ORDER BY table_name, column_name)
		     FROM information_schema.columns WHERE table_schema = 'public'),
		  (SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'),
		  (SELECT string_agg(name, ',' ORDER BY name) FROM bun_migrations),
		  (SELECT string_agg(version::text, ',' ORDER BY version) FROM river_migration))`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMigrateEmptyThenAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := db.Open(ctx, dbtest.Empty(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	if p, err := d.Pending(ctx, migrations.FS); err == nil && len(p) == 0 {
		t.Fatalf("an empty database must not look migrated (pending %v)", p)
	}
	if err := d.Migrate(ctx, migrations.FS, quiet()); err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	first := schemaFingerprint(t, d)
	if err := d.Migrate(ctx, migrations.FS, quiet()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if second := schemaFingerprint(t, d); second != first {
		t.Fatalf("second run changed the schema:\n%s\n%s", first, second)
	}
	p, err := d.Pending(ctx, migrations.FS)
	if err != nil || len(p) != 0 {
		t.Fatalf("pending after migrate = %v, %v", p, err)
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.Empty(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := db.Open(ctx, url, 2) // a separate pool: a separate machine
			if err != nil {
				errs[i] = err
				return
			}
			defer d.Close()
			errs[i] = d.Migrate(ctx, migrations.FS, quiet())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migrator %d: %v", i, err)
		}
	}
	d, err := db.Open(ctx, url, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM bun_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	files, _ := migrations.FS.ReadDir(".")
	sqlFiles := 0
	for _, f := range files {
		if len(f.Name()) > 4 && f.Name()[len(f.Name())-4:] == ".sql" {
			sqlFiles++
		}
	}
	if n != sqlFiles {
		t.Fatalf("bun_migrations has %d rows, want one per migration file (%d)", n, sqlFiles)
	}
}

// Every table that holds portal data must be emptied by a purge.
func TestTenantTablesCoverSchema(t *testing.T) {
	t.Parallel()
	d := dbtest.New(t)
	var tables []string
	err := d.Bun.NewRaw(`SELECT table_name FROM information_schema.columns
		WHERE table_schema = 'public' AND column_name = 'portal_id' ORDER BY table_name`).Scan(context.Background(), &tables)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, tb := range db.TenantTables() {
		listed[tb] = true
	}
	for _, tb := range tables {
		if !listed[tb] {
			t.Errorf("table %s has portal_id but PurgePortal does not empty it", tb)
		}
	}
	if len(tables) < 5 {
		t.Fatalf("found only %v", tables)
	}
}
