package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/devstack"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/migrations"
)

// stack is Trail (one process with HTTP and workers, or the processes
// --processes names) with its own fresh database, and the emulator whose
// portals install it.
type stack struct {
	emu    *b24test.Server
	db     *db.DB
	events string // Trail's events handler URL
	stop   func() error
}

// startStack creates a database next to the one admin names, migrates it,
// starts the emulator and Trail (app/devstack), and returns once Trail
// answers.
func startStack(ctx context.Context, admin string, o options, logw io.Writer) (*stack, error) {
	name := db.NewDatabaseName("trail_bench_")
	if err := db.CreateDatabase(ctx, admin, name, ""); err != nil {
		return nil, err
	}
	dropDB := func() error { return db.DropDatabase(context.Background(), admin, name) }
	dbURL, err := db.DatabaseURL(admin, name)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelError}))
	d, err := db.Open(ctx, dbURL, int32(o.concurrency+4))
	if err != nil {
		_ = dropDB()
		return nil, err
	}
	fail := func(err error) (*stack, error) {
		d.Close()
		_ = dropDB()
		return nil, err
	}
	if err := d.Migrate(ctx, migrations.FS, log); err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fail(err)
	}
	base, _ := url.Parse("http://" + ln.Addr().String())
	cfg, key, err := devstack.LocalConfig(base, dbURL)
	if err != nil {
		ln.Close()
		return fail(err)
	}
	cfg.DBMaxConns, cfg.LogLevel = int32(o.dbConns), "error"
	if !o.limits.Unlimited {
		// Trail paces itself on the budget the emulated portal enforces.
		cfg.OperatingBudget = o.limits.OperatingBudget
	}
	if o.pooler != "" {
		u, err := url.Parse(dbURL)
		if err != nil {
			ln.Close()
			return fail(err)
		}
		u.Host = o.pooler
		cfg.DatabaseURL = u.String()
	}
	// The baseline and storage benches name their deals; the events
	// bench gives each event a record of its own.
	heavy, each := o.deals, o.deals
	if o.deals == 0 {
		heavy, each = o.split.records(o.totalEvents())
	}
	dc := devstack.Config{Trail: cfg, Listener: ln, Log: log,
		Emulator: b24test.Options{Portals: o.portals, Deals: each, Seed: 1, Cost: o.cost, Limits: o.limits}}
	if o.processes.children() {
		dc.Run = o.processes.runner(key, logw)
	}
	dev, err := devstack.Start(ctx, dc)
	if err != nil {
		return fail(err)
	}
	s := &stack{emu: dev.Emu, db: d, events: dev.Base + "/bitrix/events"}
	if err := addHeavyDeals(dev.Emu.Portals()[0], each, heavy); err != nil {
		_ = dev.Close()
		return fail(err)
	}
	s.stop = func() error {
		err := dev.Close()
		d.Close()
		if o.keep {
			return err
		}
		if derr := dropDB(); err == nil {
			err = derr
		}
		return err
	}
	if err := dev.WaitReady(ctx); err != nil {
		_ = s.stop()
		return nil, fmt.Errorf("start: %w", err)
	}
	return s, nil
}
