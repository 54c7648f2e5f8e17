package db_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
	"github.com/trailhq/trail/migrations"
)

// migrationsBefore returns the migrations numbered below n.
func migrationsBefore(t *testing.T, n string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") && e.Name() < n {
			b, err := fs.ReadFile(migrations.FS, e.Name())
			if err != nil {
				t.Fatal(err)
			}
			out[e.Name()] = &fstest.MapFile{Data: b}
		}
	}
	return out
}

// TestUpgradeKeepsSparseSnapshots upgrades a database whose snapshots were
// stored by the release that left empty fields out: they are marked sparse,
// and read through history.Upgrade a field filled in since is a change from
// empty, not from "not known". A snapshot written again is full.
func TestUpgradeKeepsSparseSnapshots(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := db.Open(ctx, dbtest.Empty(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	if err := d.Migrate(ctx, migrationsBefore(t, "0006"), quiet()); err != nil {
		t.Fatal(err)
	}
	var portal int64
	if err := d.Pool.QueryRow(ctx, `INSERT INTO installations (member_id, domain, client_endpoint)
		VALUES ('m1', 'a.example', 'https://a.example/rest/') RETURNING id`).Scan(&portal); err != nil {
		t.Fatal(err)
	}
	// What the previous release stored for a deal whose COMMENTS was empty.
	if _, err := d.Pool.Exec(ctx, `INSERT INTO snapshots (portal_id, entity, entity_id, data)
		VALUES ($1, 'deal', 7, '{"ID":"7","TITLE":"Old","UF_CRM_TAGS":["a"]}')`, portal); err != nil {
		t.Fatal(err)
	}
	if err := d.Migrate(ctx, migrations.FS, quiet()); err != nil {
		t.Fatal(err)
	}

	snaps, err := db.SnapshotsFor(ctx, d.Bun, portal, crm.Deal, []int64{7})
	if err != nil {
		t.Fatal(err)
	}
	s := snaps[7]
	if s == nil || history.Format(s.Format) != history.FormatSparse {
		t.Fatalf("upgraded snapshot = %+v, want format %d", s, history.FormatSparse)
	}
	old, err := history.ParseSnapshot(s.Data)
	if err != nil {
		t.Fatal(err)
	}
	schema := &history.Schema{Fields: map[string]history.Field{
		"TITLE": {Name: "TITLE", Type: history.TypeString}, "COMMENTS": {Name: "COMMENTS", Type: history.TypeString},
		"UF_CRM_TAGS": {Name: "UF_CRM_TAGS", Type: history.TypeString, Multiple: true, Custom: true},
	}}
	cur, err := history.ParseSnapshot([]byte(`{"ID":"7","TITLE":"Old","COMMENTS":"filled comment","UF_CRM_TAGS":["a"]}`))
	if err != nil {
		t.Fatal(err)
	}
	changes := history.Diff(schema, history.Upgrade(schema, history.Format(s.Format), old), cur)
	if len(changes) != 1 || changes[0].Field != "COMMENTS" || changes[0].Old.Kind != history.KindEmpty || changes[0].New.Text != "filled comment" {
		t.Errorf("changes = %+v, want COMMENTS from empty", changes)
	}

	data, err := cur.Encode()
	if err != nil {
		t.Fatal(err)
	}
	s.Data, s.Format = data, int16(history.FormatFull)
	if err := db.PutSnapshots(ctx, d.Pool, []*db.Snapshot{s}); err != nil {
		t.Fatal(err)
	}
	var format int16
	if err := d.Pool.QueryRow(ctx, "SELECT format FROM snapshots WHERE portal_id = $1 AND entity_id = 7", portal).Scan(&format); err != nil || format != int16(history.FormatFull) {
		t.Errorf("rewritten snapshot format = %d (%v), want %d", format, err, history.FormatFull)
	}
}
