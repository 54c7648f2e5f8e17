// Package migrations holds Trail's numbered SQL migrations, embedded in the
// binary so `trail migrate` needs nothing on disk. Files ending in .tx.up.sql
// run in one transaction; plain .up.sql files run on a bare connection (for
// CREATE INDEX CONCURRENTLY and the like).
package migrations

import "embed"

// FS is the set of migration files.
//
//go:embed *.sql
var FS embed.FS
