package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/app/server"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/migrations"
)

// stack is one Trail process (HTTP and workers) with its own fresh
// database, and the emulator whose portals install it.
type stack struct {
	emu    *b24test.Server
	db     *db.DB
	events string // Trail's events handler URL
	stop   func() error
}

// startStack creates a database next to the one admin names, migrates it,
// starts the emulator and Trail, and returns once Trail listens.
//
// The emulator's portals lose their own CRM event deliveries (a fault),
// so the bench is the only sender: each change arrives exactly once and
// its lag is measured from the moment the bench sent it.
func startStack(ctx context.Context, admin string, o options, logw io.Writer) (*stack, error) {
	name := "trail_bench_" + randomHex(4)
	if err := adminExec(ctx, admin, "CREATE DATABASE "+name); err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	dropDB := func() error {
		return adminExec(context.Background(), admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
	dbURL, err := withDatabase(admin, name)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelError}))
	d, err := db.Open(ctx, dbURL, int32(o.concurrency+4))
	if err != nil {
		_ = dropDB()
		return nil, err
	}
	if err := d.Migrate(ctx, migrations.FS, log); err != nil {
		d.Close()
		_ = dropDB()
		return nil, err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		d.Close()
		_ = dropDB()
		return nil, err
	}
	real := "http://" + ln.Addr().String()
	emu, err := b24test.NewServer(b24test.Options{
		Portals: o.portals, Deals: o.recordsPerPortal(), Seed: 1,
		App: &b24test.App{
			ClientID: "local.trail.bench", ClientSecret: "bench-secret",
			Scopes:            []string{"crm", "placement", "user_brief"},
			AppURL:            real + "/bitrix/app",
			InstallHandlerURL: real + "/bitrix/install",
		},
	})
	if err != nil {
		ln.Close()
		d.Close()
		_ = dropDB()
		return nil, err
	}
	keyEntry, err := secret.NewKeyEntry("b1")
	if err != nil {
		return nil, err
	}
	keys, err := secret.ParseKeyRing(keyEntry)
	if err != nil {
		return nil, err
	}
	for _, p := range emu.Portals() {
		p.SetFaults(b24test.Faults{LoseDeliveries: true})
	}
	base, _ := url.Parse(real)
	cfg := &config.Config{
		Env: config.Development, DatabaseURL: dbURL, DirectDatabaseURL: dbURL, BaseURL: base,
		ClientID: "local.trail.bench", ClientSecret: "bench-secret", Keys: keys,
		OAuthURL:  strings.TrimSuffix(emu.OAuthTokenURL(), "/oauth/token/"),
		BodyLimit: 1 << 20, ShutdownTimeout: 10 * time.Second, DBMaxConns: int32(o.dbConns),
		APILogRetention: 72 * time.Hour, LogFormat: "text", LogLevel: "error",
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- server.Run(runCtx, cfg, log, server.Mode{HTTP: true, Workers: true}, ln) }()
	s := &stack{emu: emu, db: d, events: real + "/bitrix/events"}
	s.stop = func() error {
		cancel()
		err := <-done
		emu.Close()
		d.Close()
		if o.keep {
			return err
		}
		if derr := dropDB(); err == nil {
			err = derr
		}
		return err
	}
	return s, nil
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

func withDatabase(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
