package jobs

import (
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Queue names beyond the default: each kind of work has its own queue so a
// flood of one (a big portal's resync) cannot starve another (live events).
const (
	QueueEvents  = "events"  // inbox drains: what users wait for
	QueueOffline = "offline" // offline queue pulls: the safety net for lost deliveries
	QueueSync    = "sync"    // setup, baseline sync, reconciliation
	// QueueMaintenance runs purges, pruning and token upkeep.
	QueueMaintenance = "maintenance"
)

// waiting are the states in which a second copy of a per-portal job is
// skipped. River requires running among them, so work that arrives while a
// job runs may find no job coming: the job loops until its work is gone, and
// the periodic sweep enqueues a job for any portal with work still waiting
// (the rare row committed just as a drain finished). Completed jobs are not
// listed, so they never block new work.
var waiting = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateScheduled, rivertype.JobStateRetryable,
}

// uniqueWhileWaiting are the insert options of a job kind on queue: a job
// is skipped while one with the same args is waiting (see waiting).
func uniqueWhileWaiting(queue string) river.InsertOpts {
	return river.InsertOpts{Queue: queue, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waiting}}
}
