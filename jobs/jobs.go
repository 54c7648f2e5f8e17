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
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/db"
)

// QueueMaintenance runs purges, pruning and token upkeep.
const QueueMaintenance = "maintenance"

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
}

// Options choose what this process does with jobs.
type Options struct {
	// Work makes the client fetch and run jobs; without it the client only
	// inserts (web processes) and serves the River UI.
	Work bool
	// Periodic adds the periodic jobs (sweeps, reconciliation, upkeep).
	// River runs them on the elected leader only.
	Periodic bool
}

// Worker counts per process. Drains are short and many portals want them at
// once; syncs are long and few at a time keep the pool free for the rest.
var queues = map[string]river.QueueConfig{
	river.QueueDefault: {MaxWorkers: 4},
	QueueEvents:        {MaxWorkers: 16},
	QueueSync:          {MaxWorkers: 4},
	QueueMaintenance:   {MaxWorkers: 2},
}

// NewClient builds the River client with every worker registered.
func NewClient(d Deps, opts Options) (*Client, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &PurgeWorker{DB: d.DB, Log: d.Log})
	river.AddWorker(workers, &SetupWorker{Deps: d})
	river.AddWorker(workers, &DrainWorker{Deps: d})
	river.AddWorker(workers, &SyncWorker{Deps: d})
	river.AddWorker(workers, &OfflineWorker{Deps: d})
	river.AddWorker(workers, &ReconcileWorker{Deps: d})
	river.AddWorker(workers, &SweepWorker{Deps: d})
	river.AddWorker(workers, &TokenUpkeepWorker{Deps: d})
	river.AddWorker(workers, &PruneWorker{Deps: d})

	cfg := &river.Config{
		Logger:      d.Log,
		Workers:     workers,
		JobTimeout:  5 * time.Minute,
		MaxAttempts: 12,
	}
	if opts.Work {
		cfg.Queues = queues
		if opts.Periodic {
			cfg.PeriodicJobs = periodicJobs()
		}
	}
	c, err := river.NewClient(riverpgxv5.New(d.DB.Pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: new client: %w", err)
	}
	return c, nil
}
