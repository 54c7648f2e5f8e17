// Package jobs holds Trail's background work as River jobs: one file per job
// kind, plus the client that runs them. Every job carries its portal, so one
// portal's work never waits behind another's lock.
package jobs

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/trailhq/trail/db"
)

// Queue names. Each kind of work has its own queue so a flood of one (a
// resync of a big portal) cannot starve another (live events).
const (
	QueueDefault     = river.QueueDefault
	QueueMaintenance = "maintenance"
)

// Client is River's client over Trail's pgx pool.
type Client = river.Client[pgx.Tx]

// Deps are what workers need.
type Deps struct {
	DB  *db.DB
	Log *slog.Logger
}

// Options choose what this process does with jobs.
type Options struct {
	// Work makes the client fetch and run jobs; without it the client only
	// inserts (web processes) and serves the River UI.
	Work bool
}

// NewClient builds the River client with every worker registered.
func NewClient(d Deps, opts Options) (*Client, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &PurgeWorker{DB: d.DB, Log: d.Log})

	cfg := &river.Config{
		Logger:      d.Log,
		Workers:     workers,
		JobTimeout:  5 * time.Minute,
		MaxAttempts: 10,
	}
	if opts.Work {
		cfg.Queues = map[string]river.QueueConfig{
			QueueDefault:     {MaxWorkers: 10},
			QueueMaintenance: {MaxWorkers: 2},
		}
	}
	c, err := river.NewClient(riverpgxv5.New(d.DB.Pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: new client: %w", err)
	}
	return c, nil
}
