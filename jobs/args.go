package jobs

import (
	"time"

	"github.com/riverqueue/river"
)

// SetupArgs binds events and placements, reads field metadata and starts the
// baseline sync of a freshly installed portal.
type SetupArgs struct {
	PortalID int64 `json:"portal_id" river:"unique"`
}

func (SetupArgs) Kind() string { return "setup_portal" }

func (SetupArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueSync, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: waiting}}
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
