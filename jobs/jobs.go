// Package jobs holds Trail's background work as River jobs: one file per job
// kind, plus the client that runs them. Every job carries its portal and is
// unique per portal while it waits, so one portal's backlog never multiplies
// and never holds a worker another portal needs: jobs that would wait for a
// portal's rate limit snooze instead of sleeping.
package jobs

import (
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/trailhq/trail/app/metrics"
	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/db"
)

// Client is River's client over Trail's pgx pool.
type Client = river.Client[pgx.Tx]

// Deps are what workers need.
type Deps struct {
	DB      *db.DB
	Log     *slog.Logger
	Clients *portal.Clients
	// BaseURL is Trail's public address: event and placement handlers are
	// bound under it.
	BaseURL *url.URL
	// APILogRetention is how long the API call log is kept (≥ 3 days).
	APILogRetention time.Duration
	// Metrics, when set, records every job run.
	Metrics *metrics.Metrics
}

// Options choose what this process does with jobs.
type Options struct {
	// Work makes the client fetch and run jobs; without it the client only
	// inserts (web processes) and serves the River UI.
	Work bool
	// Periodic adds the periodic jobs (sweeps, reconciliation, upkeep).
	// River runs them on the elected leader only.
	Periodic bool
	// ID names this process to River. Give a worker process the same ID
	// across restarts (and no two live processes the same): the jobs its
	// previous run left running are then taken back at start instead of
	// after RescueAfter. Empty: a random ID, no reclaim at start.
	ID string
	// ServesHTTP says the process also answers web requests, events among
	// them: its drains then leave half the cores to the answers.
	ServesHTTP bool
}

// River timing. A job left running by a killed process blocks its portal's
// next job of that kind (uniqueness includes running), so the rescuer must
// give it back soon: a little above the longest job timeout (jobTimeout;
// drains and syncs set shorter ones), not River's default hour.
const (
	jobTimeout  = 5 * time.Minute
	rescueAfter = jobTimeout + time.Minute
	// Completed jobs only feed the River UI (uniqueness ignores them): a
	// day of one drain per burst per portal is millions of dead rows.
	completedRetention = time.Hour
	// fetchCooldown is also how long an inserting client keeps quiet after
	// notifying a queue of new jobs: the drains of a burst of events after
	// the first are found by the next poll, not by a notification. With
	// River's 100 ms and 1 s defaults that put a healthy portal's change
	// about a second behind; drains are what users wait for.
	fetchCooldown      = 20 * time.Millisecond
	eventsPollInterval = 200 * time.Millisecond
)

// Worker counts per process. Drains are short and many portals want them at
// once; syncs are long and few at a time keep the pool free for the rest.
var queues = map[string]river.QueueConfig{
	river.QueueDefault: {MaxWorkers: 4},
	QueueEvents:        {MaxWorkers: 16, FetchPollInterval: eventsPollInterval},
	QueueOffline:       {MaxWorkers: 4},
	QueueSync:          {MaxWorkers: 4},
	QueueMaintenance:   {MaxWorkers: 2},
	QueueBulk:          {MaxWorkers: 2},
}

// NewClient builds the River client with every worker registered.
func NewClient(d Deps, opts Options) (*Client, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &PurgeWorker{DB: d.DB, Log: d.Log})
	river.AddWorker(workers, &UninstallWorker{Deps: d})
	river.AddWorker(workers, &SetupWorker{Deps: d})
	river.AddWorker(workers, &DrainWorker{Deps: d, slots: drainSlots(opts.ServesHTTP)})
	river.AddWorker(workers, &SyncWorker{Deps: d})
	river.AddWorker(workers, &ExtrasWorker{Deps: d})
	river.AddWorker(workers, &OfflineWorker{Deps: d})
	river.AddWorker(workers, &ReconcileWorker{Deps: d})
	river.AddWorker(workers, &SweepWorker{Deps: d})
	river.AddWorker(workers, &TokenUpkeepWorker{Deps: d})
	river.AddWorker(workers, &PruneWorker{Deps: d})
	river.AddWorker(workers, &BulkRevertWorker{Deps: d})

	cfg := &river.Config{
		Logger:        d.Log,
		Workers:       workers,
		ID:            opts.ID,
		FetchCooldown: fetchCooldown,
		JobTimeout:    jobTimeout,
		MaxAttempts:   12,

		RescueStuckJobsAfter:        rescueAfter,
		CompletedJobRetentionPeriod: completedRetention,
	}
	if opts.Work {
		cfg.Queues = queues
		if opts.Periodic {
			cfg.PeriodicJobs = periodicJobs()
		}
	}
	cfg.Middleware = []rivertype.Middleware{&gatherMiddleware{}}
	if d.Metrics != nil {
		cfg.Middleware = append(cfg.Middleware, d.Metrics.JobMiddleware())
	}
	c, err := river.NewClient(driver(d.DB), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: new client: %w", err)
	}
	return c, nil
}

// driver is River's pgx driver on the shared pool. With a Listen pool
// (the shared one goes through a transaction-mode pooler), River's LISTEN
// connection comes from there; every other query, the leader election and
// NOTIFY included, works per transaction.
func driver(d *db.DB) riverdriver.Driver[pgx.Tx] {
	shared := riverpgxv5.New(d.Pool)
	if d.Listen == nil {
		return shared
	}
	return listenApart{Driver: shared, listen: riverpgxv5.New(d.Listen)}
}

type listenApart struct {
	*riverpgxv5.Driver
	listen *riverpgxv5.Driver
}

func (l listenApart) GetListener(params *riverdriver.GetListenenerParams) riverdriver.Listener {
	return l.listen.GetListener(params)
}
