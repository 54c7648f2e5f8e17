// Command trail is the whole of Trail in one binary: the web app, the job
// workers, the migrations, the Bitrix24 emulator and the benchmarks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	_ "time/tzdata" // the runtime image has no zoneinfo; users see times in their zone

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/bench"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/devstack"
	"github.com/trailhq/trail/app/lifecycle"
	"github.com/trailhq/trail/app/server"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/migrations"
)

// version is stamped at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `usage: trail <command>

commands:
  serve     serve HTTP (web process)
  work      run background jobs (worker process)
  all       serve HTTP and run jobs in one process
  migrate   apply database migrations (River's and Trail's) and exit
  connect   register a local integration: connect -member-id ID -webhook URL -application-token TOKEN
  emulate   run the Bitrix24 emulator (portals + OAuth server); -h lists its flags
  bench     benchmarks: bench sync (client listing), bench events (event intake), bench baseline
            (install and baseline), bench storage (bytes per history row); -h lists flags
  dev       run Trail installed on emulated portals, with demo data (development)
  version   print the version

Configuration comes from the environment; see README.md.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "trail:", err)
		var ue usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run is the program; main only wires it to the process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "trail", buildVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve", "work", "all":
		if len(rest) > 0 {
			return usageError{fmt.Sprintf("%s takes no arguments", cmd)}
		}
		cfg, err := config.Load(getenv, config.Needs{Database: true, App: true})
		if err != nil {
			return err
		}
		log := newLogger(cfg, stderr)
		mode := server.Mode{HTTP: cmd != "work", Workers: cmd != "serve"}
		return server.Run(ctx, cfg, log, mode, nil)
	case "connect":
		cfg, err := config.Load(getenv, config.Needs{Database: true, App: true})
		if err != nil {
			return err
		}
		return connect(ctx, cfg, newLogger(cfg, stderr), rest, stdout, stderr)
	case "bench":
		return runBench(ctx, rest, stdout, stderr)
	case "emulate":
		return b24test.RunCommand(ctx, rest, stdout, stderr)
	case "dev":
		return devstack.RunCommand(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		cfg, err := config.Load(getenv, config.Needs{Database: true})
		if err != nil {
			return err
		}
		return migrate(ctx, cfg, newLogger(cfg, stderr))
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
}

func connect(ctx context.Context, cfg *config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trail connect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var w lifecycle.Webhook
	fs.StringVar(&w.MemberID, "member-id", "", "the portal's member_id (shown in the outgoing webhook's deliveries)")
	fs.StringVar(&w.URL, "webhook", "", "incoming webhook URL, https://portal.bitrix24.com/rest/1/secret/")
	fs.StringVar(&w.ApplicationToken, "application-token", "", "the outgoing webhook's application token")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	in, err := server.Connect(ctx, cfg, log, w)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "connected %s (portal %d); point the outgoing webhook for ONCRM* events at %s/bitrix/events\n", in.Domain, in.ID, cfg.BaseURL)
	return nil
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"bench needs a name: sync, events, baseline or storage"}
	}
	switch args[0] {
	case "sync":
		return bench.RunSync(ctx, args[1:], stdout, stderr)
	case "events":
		return bench.RunEvents(ctx, args[1:], stdout, stderr)
	case "baseline":
		return bench.RunBaseline(ctx, args[1:], stdout, stderr)
	case "storage":
		return bench.RunStorage(ctx, args[1:], stdout, stderr)
	}
	return usageError{fmt.Sprintf("unknown benchmark %q (want sync, events, baseline or storage)", args[0])}
}

func migrate(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	d, err := db.Open(ctx, cfg.DirectDatabaseURL, 2)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Migrate(ctx, migrations.FS, log); err != nil {
		return err
	}
	log.Info("migrations at head")
	return nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return version
}
