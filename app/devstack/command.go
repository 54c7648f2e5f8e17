package devstack

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/migrations"
)

// RunCommand is `trail dev`: migrate, start the emulator and Trail, install
// Trail on every portal, leave a few changes for the history tabs to show,
// print where to look, and serve until ctx is cancelled.
func RunCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		emu   b24test.Options
		fresh bool
	)
	fs.StringVar(&emu.Addr, "emulator", "127.0.0.1:8024", "the emulator's listen `HOST:PORT` (portals are portal-N.localhost:PORT)")
	emu.PortalFlags(fs, b24test.Options{Portals: 3, Deals: 60, Leads: 30, Contacts: 40, Companies: 15, Seed: 1})
	fs.BoolVar(&fresh, "fresh", false, "drop and recreate the (local) database first: the emulator keeps its portals in memory, so a database from an earlier run would remember portals that no longer exist")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("dev takes no arguments, only flags (got %q)", fs.Arg(0))
	}
	cfg, err := config.Load(getenv, config.Needs{Database: true, App: true})
	if err != nil {
		return err
	}
	if cfg.Env != config.Development {
		return fmt.Errorf("dev needs APP_ENV=development (`go tool task dev` sets it)")
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	start := time.Now()

	if fresh {
		if err := recreateDatabase(ctx, cfg.DatabaseURL); err != nil {
			return err
		}
	}
	d, err := db.Open(ctx, cfg.DirectDatabaseURL, 2)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Migrate(ctx, migrations.FS, log); err != nil {
		return err
	}

	s, err := Start(ctx, Config{Trail: cfg, Emulator: emu, Log: log})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Install(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Trail is installed on %d portals; copying their CRM…\n", len(s.Emu.Portals()))
	if err := demoChanges(ctx, d, s.Emu); err != nil {
		return err
	}
	printWelcome(stdout, s, time.Since(start))

	select {
	case <-ctx.Done():
		fmt.Fprintln(stdout, "stopping…")
		return s.Close()
	case <-s.Stopped():
		return s.Err()
	}
}

func printWelcome(w io.Writer, s *Stack, took time.Duration) {
	ps := s.Emu.Portals()
	fmt.Fprintf(w, "\nReady in %s. Open an emulated Bitrix24 portal:\n\n", took.Round(100*time.Millisecond))
	for _, p := range ps {
		fmt.Fprintf(w, "    http://%s/crm/deal/list/\n", p.Domain())
	}
	first := "http://" + ps[0].Domain()
	fmt.Fprintf(w, `
Then:
  1. Click a deal (deal 1, 2 and 3 already have changes), then its "History" tab:
     its history, field by field.  Direct link: %[1]s/crm/deal/details/1/?tab=1
  2. Back on the "General" tab, edit the deal and save; open "History"
     again: your change is on top.
  3. The "trail" item of the left menu is Trail's settings page (administrators).
     Switch the user (top right, or ?user=2) to see what others see.

Trail itself: %[2]s   Emulator control API: %[3]s/_emulator/portals
Press Ctrl+C to stop.
`, first, s.Base, s.Emu.URL)
}
