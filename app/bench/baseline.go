package bench

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
)

// BaselineResult is the last line `trail bench baseline` prints.
type BaselineResult struct {
	Deals int `json:"deals"`
	// Seconds is the install and every type's field baseline (the records
	// listed and stored, without their extras).
	Seconds float64 `json:"seconds"`
	// HTTPRequests is every REST request the install and the field
	// baselines made; ListingRequests the least of them a listing of the
	// deals needs (2,500 rows a request): the rest are setup, the other
	// types' empty listings, and the deals' contacts (50 deals a command).
	HTTPRequests int64 `json:"http_requests"`
	// ExtrasSeconds and ExtrasRequests are the extras phase that follows
	// (product rows, a command per record, 49 records a request), from the
	// end of the field baselines until every type's phase is done;
	// ExtrasRecords the records it read.
	ExtrasSeconds    float64 `json:"extras_seconds"`
	ExtrasRequests   int64   `json:"extras_requests"`
	ExtrasRecords    int64   `json:"extras_records"`
	ListingRequests  int     `json:"listing_requests"`
	RateLimited      int64   `json:"rate_limited"`
	OperationLimited int64   `json:"operation_limited"`
	Model            string  `json:"cost_model"`
	LimitSeconds     float64 `json:"limit_seconds"`
	Efficiency       float64 `json:"efficiency"`
	// BucketSeconds is the least time the rate limit allows for the
	// requests the baseline did make, whatever they read; BucketEfficiency
	// is BucketSeconds/Seconds. Against LimitSeconds they tell the cost of
	// the requests beyond the listing from the time lost between requests.
	BucketSeconds    float64 `json:"bucket_seconds"`
	BucketEfficiency float64 `json:"bucket_efficiency"`
	Snapshots        int64   `json:"snapshots"`
	// SnapshotBytes is the snapshots table on disk (indexes and TOAST
	// included) per snapshot.
	SnapshotBytes float64 `json:"snapshot_bytes"`
	Processes     string  `json:"processes"`
	// PeakRSSMB is each Trail child process's peak resident set size.
	PeakRSSMB map[string]float64 `json:"peak_rss_mb,omitempty"`
}

// RunBaseline is `trail bench baseline`: it installs Trail on one emulated
// portal of --deals deals and times the install and the whole baseline
// (listing every record through the client and writing its snapshot)
// until every type's sync is done, against LimitSeconds for the deals'
// listing under the emulator's limits and cost model. With --processes
// all or serve+Nwork, Trail runs in child processes and their peak
// resident set sizes are read from /proc. --operating-budget and
// --operating-window scale the emulator's operating limit down as in
// `trail bench sync` (Trail's pacer is told the budget), so that a few
// minutes' run binds on it as a big portal's baseline does on the standard
// limit. DATABASE_URL names the server;
// the bench creates and drops its own database there. The last line is a
// JSON BaselineResult.
func RunBaseline(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("trail bench baseline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{portals: 1, concurrency: 4}
	fs.IntVar(&o.deals, "deals", 200_000, "deals on the emulated portal")
	model := fs.String("cost", string(b24test.CostCheap), "emulator cost `model`: cheap or realistic")
	procs := fs.String("processes", "one", `how Trail runs: "one" process of the bench's own, "all": one trail all child process, or "serve+Nwork"`)
	bin := fs.String("trail", "", "the trail command the child processes run (default: this one)")
	fs.IntVar(&o.dbConns, "db-conns", 20, "Trail's database pool size")
	fs.DurationVar(&o.install, "timeout", time.Hour, "how long the install and baseline may take")
	fs.BoolVar(&o.keep, "keep", false, "keep the database")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the baseline to this file (Trail in the bench's process only)")
	fs.BoolVar(&o.fieldsOnly, "fields-only", false, "stop after the field baseline, without waiting for the extras phase")
	o.limits = b24test.StandardLimits()
	fs.DurationVar(&o.limits.OperatingBudget, "operating-budget", o.limits.OperatingBudget, "execution time each method may use per window; with --operating-window, scales the operating limit down so a run binds on it as a bigger portal does on the standard one")
	fs.DurationVar(&o.limits.OperatingWindow, "operating-window", o.limits.OperatingWindow, "the operating budget's sliding window")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cost, ok := b24test.CostModel(*model).Cost()
	if !ok || *model == string(b24test.CostOff) {
		return fmt.Errorf("bench baseline: unknown cost model %q", *model)
	}
	o.cost = cost
	var err error
	if o.processes, err = parseProcesses(*procs); err != nil {
		return fmt.Errorf("bench baseline: %w", err)
	}
	if o.processes.children() {
		if o.processes.bin, err = trailBinary(*bin); err != nil {
			return fmt.Errorf("bench baseline: %w", err)
		}
		o.processes.peaks = &peakRSS{}
	}
	if o.deals < 1 || o.dbConns < 1 || o.limits.OperatingBudget <= 0 || o.limits.OperatingWindow <= 0 {
		return errors.New("bench baseline: --deals, --db-conns and the operating limits must be positive")
	}
	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		return errors.New("bench baseline: DATABASE_URL is not set")
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }

	s, err := startStack(ctx, admin, o, stderr)
	if err != nil {
		return fmt.Errorf("bench baseline: %w", err)
	}
	res, runErr := baseline(ctx, s, o, *cpuProfile, logf)
	if err := s.stop(); err != nil && runErr == nil && ctx.Err() == nil {
		runErr = err
	}
	if runErr != nil {
		return fmt.Errorf("bench baseline: %w", runErr)
	}
	res.Model, res.Processes = *model, o.processes.String()
	if o.processes.peaks != nil {
		res.PeakRSSMB = o.processes.peaks.peaks()
	}
	line, _ := json.Marshal(res)
	fmt.Fprintln(stdout, string(line))
	return nil
}

func baseline(ctx context.Context, s *stack, o options, cpuProfile string, logf func(string, ...any)) (*BaselineResult, error) {
	stopProfile, err := startProfile(cpuProfile)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	// The field baselines alone: the extras phase is timed on its own.
	err = installAll(ctx, s, o, false, logf)
	elapsed := time.Since(start).Seconds()
	stopProfile()
	if err != nil {
		return nil, err
	}
	logf("installed and field baseline done in %.1fs", elapsed)
	stats := s.emu.Portals()[0].Stats()
	var extras extrasFigures
	if !o.fieldsOnly {
		if extras, err = extrasPhase(ctx, s, o, logf); err != nil {
			return nil, err
		}
		extras.requests = s.emu.Portals()[0].Stats().Requests - stats.Requests
		logf("extras phase done in %.1fs", extras.seconds)
	}
	cost := s.emu.Cost()
	limits := o.limits
	limit := LimitSeconds(o.deals, 1, limits, cost, cost.LegacyRowCost("deal", []string{"*", "UF_*"}))
	const perRequest = b24.MaxBatch * b24.PageSize
	bucket := max(0, float64(stats.Requests)-float64(limits.Burst)) / limits.Drain
	res := &BaselineResult{
		Deals:            o.deals,
		Seconds:          round3(elapsed),
		HTTPRequests:     stats.Requests,
		ListingRequests:  (o.deals + perRequest - 1) / perRequest,
		RateLimited:      stats.Limited,
		OperationLimited: stats.OperationLimited,
		LimitSeconds:     round3(limit),
		Efficiency:       round3(limit / elapsed),
		BucketSeconds:    round3(bucket),
		BucketEfficiency: round3(bucket / elapsed),
		ExtrasSeconds:    round3(extras.seconds),
		ExtrasRequests:   extras.requests,
		ExtrasRecords:    extras.records,
	}
	var bytes int64
	if err := s.db.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM snapshots), pg_total_relation_size('snapshots')`).
		Scan(&res.Snapshots, &bytes); err != nil {
		return nil, err
	}
	if res.Snapshots > 0 {
		res.SnapshotBytes = round(float64(bytes) / float64(res.Snapshots))
	}
	return res, nil
}

type extrasFigures struct {
	seconds  float64
	requests int64
	records  int64
}

// extrasPhase waits until every type's extras phase is done and returns
// how long that took and how many records it read.
func extrasPhase(ctx context.Context, s *stack, o options, logf func(string, ...any)) (extrasFigures, error) {
	start, last := time.Now(), time.Now()
	deadline := start.Add(cmp.Or(o.install, 10*time.Minute))
	for {
		var waiting, records int64
		err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE extras_state <> 'done'), coalesce(sum(extras_done), 0)
			FROM sync_state`).Scan(&waiting, &records)
		if err != nil {
			return extrasFigures{}, err
		}
		if waiting == 0 {
			return extrasFigures{seconds: time.Since(start).Seconds(), records: records}, nil
		}
		if time.Now().After(deadline) {
			return extrasFigures{}, fmt.Errorf("extras phase not done within %s", deadline.Sub(start))
		}
		if time.Since(last) > 5*time.Second {
			logf("extras phase: %d types running, %d records read", waiting, records)
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return extrasFigures{}, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
