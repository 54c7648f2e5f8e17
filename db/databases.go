package db

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Throwaway databases for tests, benchmarks and `trail dev`, made through a
// connection to the server's admin URL.

// NewDatabaseName is a fresh database name starting with prefix.
func NewDatabaseName(prefix string) string {
	return prefix + strings.ToLower(rand.Text()[:12])
}

// CreateDatabase creates the database name on admin's server, a copy of
// template unless that is empty.
func CreateDatabase(ctx context.Context, admin, name, template string) error {
	sql := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		sql += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if err := adminExec(ctx, admin, sql); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// DropDatabase drops the database name on admin's server, if it exists,
// closing its connections.
func DropDatabase(ctx context.Context, admin, name string) error {
	if err := adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// DatabaseURL is admin's URL naming the database name instead.
func DatabaseURL(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("database URL is malformed")
	}
	u.Path = "/" + name
	return u.String(), nil
}

func adminExec(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}
