package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
)

// options are the flags of `trail bench events`.
type options struct {
	portals     int
	events      int
	rate        float64 // events per second in total; 0: as fast as the senders go
	concurrency int     // senders
	dbConns     int
	timeout     time.Duration // for the drains to catch up after the last event
	install     time.Duration // for the portals' installs and baselines
	keep        bool          // keep the database
	fieldsOnly  bool          // bench baseline: stop after the field baseline
	cpuProfile  string
	processes   processes
	pooler      string // host:port of a transaction-mode pooler in front of DATABASE_URL's server
	split       split
	findRate    bool          // search the highest steady rate instead of one run
	step        time.Duration // how long each rate of the search is held
	deals       int           // deals per portal; 0: as many as the events need (split)
	cost        b24test.Cost  // the emulator's simulated cost
	limits      b24test.Limits
}

// Result is the last line RunEvents prints.
type Result struct {
	Portals     int     `json:"portals"`
	Events      int     `json:"events"`
	Rejected    int     `json:"rejected"`
	Concurrency int     `json:"concurrency"`
	EventsPerS  float64 `json:"events_per_s"`
	P50ms       float64 `json:"p50_ms"`
	P99ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
	LagP50ms    float64 `json:"lag_p50_ms"`
	LagP99ms    float64 `json:"lag_p99_ms"`
	LagMaxMs    float64 `json:"lag_max_ms"`
	Lost        int     `json:"lost"`
	Duplicates  int     `json:"duplicates"`
	PGCeiling   float64 `json:"pg_ceiling_per_s"`
	Ratio       float64 `json:"ratio"`
	// CPU spent per accepted event from the first send until history has
	// caught up: this process (Trail, the emulator and the senders; with
	// --processes the emulator and the senders), Trail's processes with
	// --processes, and the PostgreSQL backends of the bench's database.
	CPUProcessMsPerEvent float64 `json:"cpu_process_ms_per_event"`
	// With --processes, Trail's processes apart; the bench's process is
	// then the emulator and the senders.
	CPUTrailMsPerEvent    float64 `json:"cpu_trail_ms_per_event,omitempty"`
	CPUPostgresMsPerEvent float64 `json:"cpu_postgres_ms_per_event"`
	// Transactions committed in the bench's database per accepted event
	// (intake, drains, River's own, the bench's polling).
	XactsPerEvent float64 `json:"pg_xacts_per_event"`
	// With --skew: the heavy portal's events, its changes recorded per
	// second against what its rate limit allows, and those still waiting
	// when the others were done; the lag and losses above are the other
	// portals'.
	Skew             float64 `json:"skew,omitempty"`
	HeavyEvents      int     `json:"heavy_events,omitempty"`
	HeavyRecordsPerS float64 `json:"heavy_records_per_s,omitempty"`
	HeavyLimitPerS   float64 `json:"heavy_limit_per_s,omitempty"`
	HeavyPending     int     `json:"heavy_pending,omitempty"`
	// With --find-rate: each rate tried, and the highest that held.
	Steps     []Step  `json:"steps,omitempty"`
	Sustained float64 `json:"sustained_per_s,omitempty"`
}

// RunEvents is `trail bench events`: it installs --portals portals of the
// emulator into a fresh Trail, fires --events signed CRM events at Trail's
// events handler, each after changing its record in the emulator so the
// drain finds a real diff, waits for every change to reach history, and
// prints progress to stderr and, as its last line, a JSON Result.
//
// pg_ceiling_per_s is this machine's rate of one-row insert transactions at
// the same concurrency, measured in the same run: intake is one small
// transaction too, so ratio says how close to the database's own limit
// the handler runs. DATABASE_URL names the server; the bench creates and
// drops its own database there.
func RunEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench events", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.portals, "portals", 1000, "portals to install")
	fs.IntVar(&o.events, "events", 30000, "events to send")
	fs.Float64Var(&o.rate, "rate", 0, "events per second (0: as fast as the senders go)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "concurrent senders (deliveries in flight, as from many portals at once)")
	fs.IntVar(&o.dbConns, "db-conns", 20, "Trail's database pool size")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Minute, "how long to wait for history after the last event")
	fs.DurationVar(&o.install, "install-timeout", 10*time.Minute, "how long to wait for the portals' installs and baseline syncs")
	fs.BoolVar(&o.keep, "keep", false, "keep the database")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the sending phase to this file")
	procs := fs.String("processes", "one", `how Trail runs: "one" process of the bench's own, or "serve+Nwork": one trail serve and N trail work child processes`)
	fs.StringVar(&o.pooler, "pooler", "", "host:port of PgBouncer (transaction mode) in front of DATABASE_URL's server: Trail's pool goes through it, River's listener direct")
	bin := fs.String("trail", "", "the trail command the child processes run (default: this one)")
	fs.Float64Var(&o.split.skew, "skew", 0, "share of the events one portal sends (a mass import), 0 to 0.9")
	fs.BoolVar(&o.findRate, "find-rate", false, "search the highest steady rate (--rate, default 500/s, and its multiples) whose lag p99 stays under 5 s and intake p99 under 50 ms")
	fs.DurationVar(&o.step, "step", 15*time.Second, "with --find-rate: how long each rate is held")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if o.processes, err = parseProcesses(*procs); err != nil {
		return fmt.Errorf("bench events: %w", err)
	}
	if o.processes.children() {
		if o.processes.bin, err = trailBinary(*bin); err != nil {
			return fmt.Errorf("bench events: %w", err)
		}
	}
	if o.portals < 1 || o.events < 1 || o.concurrency < 1 {
		return errors.New("bench events: --portals, --events and --concurrency must be positive")
	}
	if o.split.skew < 0 || o.split.skew > 0.9 || (o.split.skew > 0 && o.portals < 2) {
		return errors.New("bench events: --skew must be between 0 and 0.9, with at least 2 portals")
	}
	if o.findRate && (o.step < time.Second || o.split.skew > 0) {
		return errors.New("bench events: --find-rate needs --step of at least 1s and no --skew")
	}
	o.split.portals = o.portals
	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		return errors.New("bench events: DATABASE_URL is not set")
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }

	s, err := startStack(ctx, admin, o, stderr)
	if err != nil {
		return fmt.Errorf("bench events: %w", err)
	}
	o.cpuProfile = *cpuProfile
	runErr := recordArrivals(ctx, s)
	var res *Result
	if runErr == nil {
		res, runErr = run(ctx, s, o, logf)
	}
	if err := s.stop(); err != nil && runErr == nil && ctx.Err() == nil {
		runErr = err
	}
	if runErr != nil {
		return fmt.Errorf("bench events: %w", runErr)
	}
	line, _ := json.Marshal(res)
	fmt.Fprintln(stdout, string(line))
	return nil
}

func run(ctx context.Context, s *stack, o options, logf func(string, ...any)) (*Result, error) {
	start := time.Now()
	// The events are sent once each type's extras phase has ended too: the
	// bench measures a steady load of edits, not the tail of a thousand
	// installs.
	if err := installAll(ctx, s, o, true, logf); err != nil {
		return nil, err
	}
	logf("%d portals installed and synced in %s", o.portals, time.Since(start).Round(time.Millisecond))
	// From now on the portals lose their own event deliveries (a fault;
	// before, it would lose the install event too), so the bench is the
	// only sender: each change arrives exactly once and its lag is
	// measured from the moment the bench sent it.
	for _, p := range s.emu.Portals() {
		p.SetFaults(b24test.Faults{LoseDeliveries: true})
	}

	ceiling, err := pgCeiling(ctx, s.db, o.concurrency, 3*time.Second)
	if err != nil {
		return nil, fmt.Errorf("pg ceiling: %w", err)
	}
	logf("postgres one-row insert transactions at concurrency %d: %.0f/s", o.concurrency, ceiling)

	stopProfile, err := startProfile(o.cpuProfile)
	if err != nil {
		return nil, err
	}
	defer stopProfile()
	r := newSent(o.totalEvents())
	var res *Result
	if o.findRate {
		res, err = findRate(ctx, s, o, r, logf)
	} else {
		res, err = runPhase(ctx, s, o, r, &phase{from: 0, to: o.events, rate: o.rate}, logf)
	}
	if err != nil {
		return nil, err
	}
	res.PGCeiling = round(ceiling)
	if ceiling > 0 {
		res.Ratio = round2(res.EventsPerS / ceiling)
	}
	return res, nil
}

// runPhase sends a phase's events, waits for their history and reports.
func runPhase(ctx context.Context, s *stack, o options, r *sent, ph *phase, logf func(string, ...any)) (*Result, error) {
	before, err := sampleCPU(ctx, s.db)
	if err != nil {
		return nil, err
	}
	if err := fire(ctx, s, o, r, ph, logf); err != nil {
		return nil, err
	}
	res := r.result(o, ph)
	logf("accepted %d events at %.0f/s (p50 %.1f ms, p99 %.1f ms); waiting for history",
		res.Events, res.EventsPerS, res.P50ms, res.P99ms)
	if err := awaitHistory(ctx, s, r, ph.to, o.timeout, logf); err != nil {
		return nil, err
	}
	after, err := sampleCPU(ctx, s.db)
	if err != nil {
		return nil, err
	}
	if err := r.lags(ctx, s, o.split, ph, res); err != nil {
		return nil, err
	}
	if res.Events > 0 {
		cpu := after.since(before)
		res.CPUProcessMsPerEvent = ms(cpu.self / time.Duration(res.Events))
		res.CPUTrailMsPerEvent = ms(cpu.trail / time.Duration(res.Events))
		res.CPUPostgresMsPerEvent = ms(cpu.pg / time.Duration(res.Events))
		res.XactsPerEvent = round2(float64(cpu.xacts) / float64(res.Events))
	}
	return res, nil
}
