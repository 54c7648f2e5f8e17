package jobs

import (
	"time"

	"github.com/riverqueue/river"
)

// Periodic intervals.
const (
	sweepEvery     = 15 * time.Second
	reconcileEvery = 10 * time.Minute
	upkeepEvery    = time.Hour
	pruneEvery     = time.Hour
	// tokenIdle is how long an installation may go without a refresh
	// before upkeep refreshes it: refresh tokens die after 180 days unused
	// (older documentation said 28), so a month keeps well clear of both.
	tokenIdle = 20 * 24 * time.Hour
)

func periodicJobs() []*river.PeriodicJob {
	every := func(d time.Duration, args river.JobArgs, id string) *river.PeriodicJob {
		return river.NewPeriodicJob(river.PeriodicInterval(d),
			func() (river.JobArgs, *river.InsertOpts) { return args, nil },
			&river.PeriodicJobOpts{ID: id, RunOnStart: true})
	}
	return []*river.PeriodicJob{
		every(sweepEvery, SweepArgs{}, "sweep"),
		every(reconcileEvery, SweepArgs{Reconcile: true}, "reconcile"),
		every(upkeepEvery, TokenUpkeepArgs{}, "token_upkeep"),
		every(pruneEvery, PruneArgs{}, "prune"),
	}
}
