package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/db"
)

// errSkip means the portal cannot be called now (uninstalled, waiting for
// re-authorisation); the job completes without doing anything.
var errSkip = errors.New("portal not callable")

// callable loads an installation and its client, or errSkip.
func (d Deps) callable(ctx context.Context, portalID int64) (*db.Installation, *b24.Client, error) {
	in, err := db.InstallationByID(ctx, d.DB.Bun, portalID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, errSkip
	}
	if err != nil {
		return nil, nil, err
	}
	if in.Status != db.StatusActive {
		return nil, nil, errSkip
	}
	c, err := d.Clients.For(in)
	if err != nil {
		return nil, nil, err
	}
	return in, c, nil
}

// outcome turns a job's error into what River should do. A portal that
// cannot be called ends the job quietly; one that needs a new authorisation
// is marked and ends it too (the admin's fix enqueues the work again); a
// rate limit or execution-time limit snoozes the job instead of spending an
// attempt, so one busy portal never burns its retries or holds a worker.
func (d Deps) outcome(ctx context.Context, in *db.Installation, err error) error {
	switch {
	case err == nil, errors.Is(err, errSkip):
		return nil
	case errors.Is(err, b24.ErrReauthRequired):
		if in != nil {
			if merr := db.MarkReauth(ctx, d.DB.Bun, in.ID); merr != nil {
				return merr
			}
			d.Log.WarnContext(ctx, "portal needs re-authorisation", "member_id", in.MemberID)
		}
		return nil
	case errors.Is(err, b24.ErrPortalGone):
		if in != nil {
			d.Log.WarnContext(ctx, "portal gone", "member_id", in.MemberID)
		}
		return river.JobSnooze(time.Hour)
	}
	if errors.Is(err, b24.ErrRateLimited) || errors.Is(err, b24.ErrOperationLimit) || errors.Is(err, b24.ErrOverloaded) {
		return river.JobSnooze(30 * time.Second)
	}
	if errors.Is(err, b24.ErrServer) || errors.Is(err, b24.ErrTransport) {
		// A failing or unreachable portal: a plain error, so River retries
		// with its growing backoff (attempt⁴ s). A snooze would bring the
		// job back at the client's first-attempt delay forever, taking a
		// worker every few seconds for a portal that is down.
		return d.portalErr(in, err)
	}
	if wait, ok := b24.RetryAfter(err); ok {
		if wait < time.Second {
			wait = time.Second
		}
		return river.JobSnooze(wait)
	}
	return d.portalErr(in, err)
}

func (d Deps) portalErr(in *db.Installation, err error) error {
	if in != nil {
		return fmt.Errorf("portal %s: %w", in.MemberID, err)
	}
	return err
}
