package jobs

import (
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Queue names beyond the default: each kind of work has its own queue so a
// flood of one (a big portal's resync) cannot starve another (live events).
const (
	QueueEvents  = "events"  // inbox drains: what users wait for
	QueueOffline = "offline" // offline queue pulls: the safety net for lost deliveries
	QueueSync    = "sync"    // setup, baseline sync, reconciliation
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

// SetupArgs binds events and placements, reads field metadata and starts the
// baseline sync of a freshly installed portal.
type SetupArgs struct {
	PortalID int64 `json:"portal_id" river:"unique"`
}

func (SetupArgs) Kind() string { return "setup_portal" }

func (SetupArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueSync, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waiting}}
}

// DrainArgs processes a portal's inbox: fetch, diff, write history.
type DrainArgs struct {
	PortalID int64 `json:"portal_id" river:"unique"`
}

func (DrainArgs) Kind() string { return "drain_inbox" }

func (DrainArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueEvents, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waiting}}
}

// OfflineArgs pulls a portal's offline event queue into its inbox.
type OfflineArgs struct {
	PortalID int64 `json:"portal_id" river:"unique"`
}

func (OfflineArgs) Kind() string { return "pull_offline" }

// InsertOpts puts pulls on their own queue: every portal that changes
// something sends ONOFFLINEEVENT too, and a failing portal's pull waits out
// the client's retries, so on the events queue they took the workers the
// drains need (found with fifteen failing portals next to healthy ones).
func (OfflineArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueOffline, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waiting}}
}

// purgeGrace is how long an uninstalled portal's history is kept when the
// admin did not ask to delete the data, so that a reinstall finds it.
const purgeGrace = 30 * 24 * time.Hour

// PurgeAfter returns when a purge should run for an uninstall: at once when
// the admin asked for the data to be deleted, after a grace period otherwise.
func PurgeAfter(now time.Time, clean bool) time.Time {
	if clean {
		return now
	}
	return now.Add(purgeGrace)
}
