package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/db"
)

// UninstallArgs asks the portal whether an ONAPPUNINSTALL was real. The
// event's only proof is the application token, which every user who opens
// the app can read; what nobody can fake is the portal refusing Trail's
// stored grant, which a real uninstall makes it do.
type UninstallArgs struct {
	PortalID int64 `json:"portal_id" river:"unique"`
	// Clean is data[CLEAN]: the admin asked for the data to be deleted.
	Clean bool `json:"clean,omitempty" river:"unique"`
	// Check counts the checks made before this one.
	Check int `json:"check,omitempty" river:"unique"`
}

// Kind names the job in the queue.
func (UninstallArgs) Kind() string { return "confirm_uninstall" }

// InsertOpts makes checks of one portal unique while waiting.
func (UninstallArgs) InsertOpts() river.InsertOpts { return uniqueWhileWaiting(QueueMaintenance) }

// uninstallRechecks are the waits before the checks after the first: the
// event may arrive before the portal has revoked the tokens. When the grant
// still works after the last, the event was not real.
var uninstallRechecks = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute}

// UninstallChecks is how many times an uninstall is checked before it is
// taken for one that did not happen.
func UninstallChecks() int { return len(uninstallRechecks) + 1 }

// Verdict is what the portal's answer says about an uninstall.
type Verdict int

// Verdicts of UninstallVerdict.
const (
	VerdictUnknown   Verdict = iota // the portal could not be asked; ask again
	VerdictConfirmed                // act on the uninstall
	VerdictDenied                   // the installation is alive
)

// UninstallVerdict reads app.info's answer to the stored grant: refused the
// way saved tokens are after an uninstall, or INSTALLED false, confirms it;
// a working grant of an installed app denies it; anything else (limits,
// outages) says nothing.
func UninstallVerdict(info portal.AppInfo, err error) Verdict {
	switch {
	case portal.GrantDead(err):
		return VerdictConfirmed
	case err != nil:
		return VerdictUnknown
	case !info.Installed:
		return VerdictConfirmed
	}
	return VerdictDenied
}

// UninstallWorker runs UninstallArgs.
type UninstallWorker struct {
	river.WorkerDefaults[UninstallArgs]
	Deps
}

// Work asks the portal with the stored grant and, when it confirms, marks
// the installation uninstalled, destroys its tokens and schedules the purge
// (at once when the admin asked for it) in one transaction.
func (w *UninstallWorker) Work(ctx context.Context, job *river.Job[UninstallArgs]) error {
	in, err := db.InstallationByID(ctx, w.DB.Bun, job.Args.PortalID)
	if errors.Is(err, db.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if in.Status == db.StatusUninstalled || in.Status == db.StatusPurged {
		return nil
	}
	info, err := w.Clients.StoredAppInfo(ctx, in)
	switch UninstallVerdict(info, err) {
	case VerdictConfirmed:
		return w.uninstalled(ctx, in, job.Args.Clean)
	case VerdictUnknown:
		return w.outcome(ctx, in, err)
	}
	if job.Args.Check >= len(uninstallRechecks) {
		w.Log.WarnContext(ctx, "uninstall the portal does not confirm ignored", "member_id", in.MemberID, "portal_id", in.ID, "clean", job.Args.Clean)
		return nil
	}
	rc, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("confirm uninstall %d: schedule the next check: %w", in.ID, err)
	}
	next := job.Args
	next.Check++
	_, err = rc.Insert(ctx, next, &river.InsertOpts{ScheduledAt: time.Now().Add(uninstallRechecks[job.Args.Check])})
	return err
}

// errGrantReplaced: a new grant was stored while the old one was checked
// (a reinstall raced the check); River runs the check again.
var errGrantReplaced = errors.New("the installation stored a new grant during the check")

func (w *UninstallWorker) uninstalled(ctx context.Context, in *db.Installation, clean bool) error {
	err := w.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		marked, err := db.MarkUninstalledIfGrant(ctx, tx, in.ID, in.RefreshToken)
		if err != nil {
			return err
		}
		if !marked {
			return errGrantReplaced
		}
		rc, err := river.ClientFromContextSafely[pgx.Tx](ctx)
		if err != nil {
			return err
		}
		if clean {
			return Enqueue(ctx, tx, rc, PurgeArgs{PortalID: in.ID})
		}
		return EnqueueAt(ctx, tx, rc, PurgeArgs{PortalID: in.ID}, PurgeAfter(time.Now(), clean))
	})
	if err != nil {
		return fmt.Errorf("confirm uninstall %d: %w", in.ID, err)
	}
	w.Log.InfoContext(ctx, "portal uninstalled", "member_id", in.MemberID, "portal_id", in.ID, "clean", clean)
	return nil
}
