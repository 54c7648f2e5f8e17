// Package bench holds Trail's command-line benchmarks.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/migrations"
)

// SyncResult is the last line `trail bench sync` prints.
type SyncResult struct {
	Items        int64   `json:"items"`
	Seconds      float64 `json:"seconds"`
	HTTPRequests int64   `json:"http_requests"`
	RateLimited  int64   `json:"rate_limited"`
	// OperationLimited counts calls refused with OPERATION_TIME_LIMIT.
	OperationLimited int64   `json:"operation_limited"`
	Model            string  `json:"cost_model"`
	LimitSeconds     float64 `json:"limit_seconds"`
	Efficiency       float64 `json:"efficiency"`
}

// RunSync runs `trail bench sync`: it starts the Bitrix24 emulator in this
// process with its default limits and the cost model --cost names (cheap or
// realistic), lists every deal of one portal through the b24 client, and
// prints as its last line a JSON SyncResult.
// Efficiency is LimitSeconds/Seconds: 1 would be a client that wastes
// nothing the portal's limits allow.
//
// --operating-budget and --operating-window scale the emulator's operating
// limit (and the pacer's budget) down, so that fewer deals bind on it as a
// full listing does on the standard one, in minutes instead of a window of
// ten.
//
// With --clients N, N independent clients (each its own HTTP transport,
// pacer and limiter instance) list the same portal at once. Their limiters
// share one bucket: a PostgreSQL row when --database-url is given (each
// client with its own connection pool, as separate processes would), else
// one in-memory limiter.
func RunSync(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	stderr = &lockedWriter{w: stderr} // the clients report from their own goroutines
	if len(args) > 0 && args[0] == "sync" {
		args = args[1:]
	}
	fs := flag.NewFlagSet("trail bench sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	deals := fs.Int("deals", 200_000, "deals on the emulated portal")
	clients := fs.Int("clients", 1, "independent clients listing the portal at once")
	parallel := fs.Int("parallel", 0, "ID ranges each client lists at once (1: one keyset chain; default 4, 16 under the realistic cost model)")
	model := fs.String("cost", string(b24test.CostCheap), "emulator cost `model`: cheap or realistic")
	selectFields := fs.String("select", "*,UF_*", "comma-separated fields to select")
	dbURL := fs.String("database-url", "", "PostgreSQL URL for a shared rate-limit bucket (default: in-memory)")
	seed := fs.Int64("seed", 1, "emulator data seed")
	budget := fs.Duration("operating-budget", 0, "execution time each method may use per window (default 480s); with --operating-window, scales the operating limit down so a run binds on it sooner")
	window := fs.Duration("operating-window", 0, "the operating budget's sliding window (default 10m)")
	spa := fs.Int("spa", 0, "list smart-process items instead of deals: this many smart processes sharing --deals items (each gets a whole number of 2,500-row requests), one keyset listing per type at once, as Trail's baselines run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *spa > 0 {
		return runSyncItems(ctx, *spa, *deals, *model, *seed, *dbURL, stdout, stderr)
	}
	if *deals < 1 || *clients < 1 || *parallel < 0 || *budget < 0 || *window < 0 {
		return errors.New("bench sync: --deals and --clients must be positive, --parallel and the operating limits not negative")
	}
	cost, ok := b24test.CostModel(*model).Cost()
	if !ok || *model == string(b24test.CostOff) {
		return fmt.Errorf("bench sync: unknown cost model %q", *model)
	}
	if *parallel == 0 {
		// Under the realistic model a batch takes seconds: spending the
		// operating budget before the window slides needs more in flight.
		*parallel = map[bool]int{true: 16, false: 4}[*model == string(b24test.CostRealistic)]
	}
	fields := strings.Split(*selectFields, ",")

	limits := b24test.StandardLimits()
	if *budget > 0 {
		limits.OperatingBudget = *budget
	}
	if *window > 0 {
		limits.OperatingWindow = *window
	}
	srv, err := b24test.NewServer(b24test.Options{Deals: *deals, Seed: *seed, Cost: cost, Limits: limits})
	if err != nil {
		return fmt.Errorf("bench sync: start emulator: %w", err)
	}
	defer srv.Close()
	portal := srv.Portals()[0]

	limiters, cleanup, err := sharedLimiters(ctx, *dbURL, *clients, b24.Rate{Burst: limits.Burst, Drain: limits.Drain})
	if err != nil {
		return err
	}
	defer cleanup()

	fmt.Fprintf(stderr, "bench sync: %d deals, %d client(s), %d range(s) each, limiter %s, %s cost\n",
		*deals, *clients, *parallel, map[bool]string{true: "postgres", false: "memory"}[*dbURL != ""], *model)
	var items atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, *clients)
	start := time.Now()
	for i := range *clients {
		c := b24.New(b24.Webhook{URL: portal.WebhookURL()}, b24.Options{
			HTTPClient: srv.Client(),
			Limiter:    limiters[i],
			Pacer:      &b24.Pacer{Budget: limits.OperatingBudget},
		})
		wg.Go(func() {
			n := 0
			opts := b24.ListOptions{Method: "crm.deal.list", Parallel: *parallel,
				Params: b24.Params{"select": fields}}
			for _, err := range c.List(ctx, opts) {
				if err != nil {
					errs[i] = fmt.Errorf("client %d: %w", i+1, err)
					return
				}
				n++
			}
			items.Add(int64(n))
			fmt.Fprintf(stderr, "bench sync: client %d listed %d deals in %.2fs\n", i+1, n, time.Since(start).Seconds())
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	stats := portal.Stats()
	limit := LimitSeconds(*deals, *clients, limits, cost, cost.LegacyRowCost("deal", fields))
	res := SyncResult{
		Items:            items.Load(),
		Seconds:          round3(elapsed),
		HTTPRequests:     stats.Requests,
		RateLimited:      stats.Limited,
		OperationLimited: stats.OperationLimited,
		Model:            *model,
		LimitSeconds:     round3(limit),
		Efficiency:       round3(limit / elapsed),
	}
	return json.NewEncoder(stdout).Encode(res)
}

// LimitSeconds is the least time the emulator's limits allow for listing
// deals rows, clients times over, through one portal, when each returned
// row costs rowCost (Cost.LegacyRowCost). A request carries at most a
// batch of 50 pages of 50 rows, so the listing needs at least
// R = clients·⌈deals/2500⌉ requests. Then:
//
//   - the leaky bucket starts empty and admits Burst requests at once and
//     Drain per second after that, so the last request cannot start before
//     max(0, R − Burst)/Drain seconds;
//   - the execution-time budget: listing spends pages·PerCall + rows·rowCost
//     of crm.deal.list's budget; every Budget's worth beyond the first must
//     wait for the window to slide, (⌈spend/Budget⌉ − 1)·Window seconds;
//   - and the last request takes its own cost in the model, Base +
//     pages·PerCall + rows·rowCost for the rows it carries.
//
// The limit is the later of the first two plus the third: whichever of the
// rate and the operating budget binds. It ignores the emulator's real
// compute time, the data dependency between keyset pages and how many
// requests a client keeps in flight, so no client can reach it exactly.
func LimitSeconds(deals, clients int, l b24test.Limits, c b24test.Cost, rowCost time.Duration) float64 {
	const perRequest = b24.MaxBatch * b24.PageSize
	requests := clients * ((deals + perRequest - 1) / perRequest)
	bucket := math.Max(0, float64(requests-l.Burst)/l.Drain)

	pages := clients * ((deals + b24.PageSize - 1) / b24.PageSize)
	spend := float64(pages)*c.PerCall.Seconds() + float64(clients*deals)*rowCost.Seconds()
	budget := l.OperatingBudget.Seconds()
	operating := 0.0
	if budget > 0 && spend > budget {
		operating = (math.Ceil(spend/budget) - 1) * l.OperatingWindow.Seconds()
	}

	lastRows := deals % perRequest
	if lastRows == 0 {
		lastRows = perRequest
	}
	lastPages := (lastRows + b24.PageSize - 1) / b24.PageSize
	last := c.Base.Seconds() + float64(lastPages)*c.PerCall.Seconds() + float64(lastRows)*rowCost.Seconds()
	return math.Max(bucket, operating) + last
}

// sharedLimiters returns one limiter per client, all drawing on the same
// bucket, and a function that releases what they hold.
func sharedLimiters(ctx context.Context, url string, n int, rate b24.Rate) ([]b24.Limiter, func(), error) {
	ls := make([]b24.Limiter, n)
	if url == "" {
		shared := b24.NewMemoryLimiter(rate)
		for i := range ls {
			ls[i] = shared
		}
		return ls, func() {}, nil
	}
	var pools []*db.DB
	cleanup := func() {
		for _, d := range pools {
			d.Close()
		}
	}
	for i := range ls {
		d, err := db.Open(ctx, url, 4)
		if err != nil {
			cleanup()
			return nil, nil, fmt.Errorf("bench sync: %w", err)
		}
		pools = append(pools, d)
		if i == 0 {
			if err := d.Migrate(ctx, migrations.FS, slog.New(slog.DiscardHandler)); err != nil {
				cleanup()
				return nil, nil, fmt.Errorf("bench sync: migrate: %w", err)
			}
		}
		b := db.NewBucket(d)
		b.Default = rate
		ls[i] = b
	}
	return ls, cleanup, nil
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
