package revert

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/db"
)

// A bulk revert puts back every change one person made within a time
// window (of one type and one field, when chosen), as a job.
//
// Whose token writes: the administrator's own. An administrator starts it
// from the settings page, whose session holds their Bitrix24 access token
// (the frame's AUTH_ID, confirmed with the portal); the job keeps it sealed
// and writes with it, so the portal's rights for that administrator decide
// every write, and the portal records every write as theirs. Trail never
// writes with its own grant on anyone's behalf, and the session keeps no
// refresh token, so the job cannot renew the token itself: every request
// of the settings page (its progress bar polls) hands the job the session's
// token, which the page renews before it expires. When the portal refuses
// the token (the page was closed for over an hour), the job pauses as
// "needs the administrator to open the page again" and the next poll by
// the administrator who started it resumes it. Only administrators reach
// the settings page, so nobody else can start one or cause a write.

// Errors of bulk reverts.
var (
	// ErrNothing: the filter selects no change.
	ErrNothing = errors.New("revert: the filter selects no change")
	// ErrBulkRunning: the portal has a bulk revert that is not done.
	ErrBulkRunning = errors.New("revert: a bulk revert is under way")
)

// PausedToken is why a bulk revert pauses when the portal no longer takes
// the administrator's token.
const PausedToken = "token"

// bulkTypes are the types a bulk revert writes back.
func bulkTypes() []crm.Type {
	return []crm.Type{crm.Deal, crm.Lead, crm.Contact, crm.Company}
}

// BulkSupports reports whether a bulk revert writes t's records back: it
// reads and writes them in batches through the legacy methods, so the four
// types that have them.
func BulkSupports(t crm.Type) bool { return t.Legacy() }

// Bulk previews, starts and runs bulk reverts.
type Bulk struct {
	DB      *db.DB
	Clients *portal.Clients
	// Enqueue adds the job that runs a portal's bulk revert, in tx.
	Enqueue func(ctx context.Context, tx db.Tx, portalID, bulkID int64) error
}

// BulkFilter completes a filter with the types a bulk revert writes back.
func BulkFilter(author int64, from, to time.Time, t crm.Type, field string) (db.BulkFilter, error) {
	if t != 0 && !BulkSupports(t) {
		return db.BulkFilter{}, ErrType
	}
	return db.BulkFilter{AuthorID: author, From: from, To: to, Entity: t, Field: field, Types: bulkTypes()}, nil
}

// Count is what a filter selects in the portal's history.
func (b *Bulk) Count(ctx context.Context, portalID int64, f db.BulkFilter) (db.BulkCount, error) {
	return db.CountBulk(ctx, b.DB.Bun, portalID, f)
}

// Start stores a bulk revert of what f selects, by the actor, and enqueues
// its job. A portal runs one bulk revert at a time.
func (b *Bulk) Start(ctx context.Context, a Actor, f db.BulkFilter) (*db.BulkRevert, error) {
	bk := &db.BulkRevert{PortalID: a.In.ID, UserID: a.UserID, AuthorID: f.AuthorID, Type: int64(f.Entity), Field: f.Field, From: f.From, To: f.To}
	err := b.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
		open, err := db.OpenBulkRevert(ctx, tx, a.In.ID)
		if err != nil {
			return err
		}
		if open {
			return ErrBulkRunning
		}
		if err := db.AddBulkRevert(ctx, tx, bk, f); err != nil {
			return err
		}
		if bk.Total == 0 {
			return ErrNothing
		}
		if err := db.SetBulkToken(ctx, tx, bk.PortalID, bk.ID, b.seal(bk, a.Token)); err != nil {
			return err
		}
		return b.Enqueue(ctx, tx, bk.PortalID, bk.ID)
	})
	if err != nil {
		return nil, err
	}
	return bk, nil
}

// Stop ends a bulk revert of the actor's portal (any administrator may:
// one paused for its starter's token would otherwise keep the portal from
// starting another).
func (b *Bulk) Stop(ctx context.Context, a Actor, id int64) (Report, error) {
	if err := db.StopBulkRevert(ctx, b.DB.Bun, a.In.ID, id); err != nil {
		return Report{}, err
	}
	return b.Progress(ctx, a, id)
}

// Report is a bulk revert with its counts.
type Report struct {
	*db.BulkRevert
	db.BulkTally
}

// Progress returns a bulk revert of the actor's portal with its counts.
// When the actor started it, the job takes the actor's current token, and
// one paused for its token resumes with it (its job is enqueued again,
// which River skips while one waits).
func (b *Bulk) Progress(ctx context.Context, a Actor, id int64) (Report, error) {
	bk, err := db.BulkRevertByID(ctx, b.DB.Bun, a.In.ID, id)
	if err != nil {
		return Report{}, err
	}
	if bk.UserID == a.UserID && bk.State != db.BulkDone && a.Token != "" {
		err := b.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
			bk.State, bk.PausedWhy = db.BulkRunning, ""
			if err := db.SetBulkState(ctx, tx, bk.PortalID, bk.ID, db.BulkRunning, "", b.seal(bk, a.Token)); err != nil {
				return err
			}
			// A job is waiting already but for the moment one ends just
			// as it pauses: River then keeps that one and adds none.
			return b.Enqueue(ctx, tx, bk.PortalID, bk.ID)
		})
		if err != nil {
			return Report{}, err
		}
	}
	t, err := db.TallyBulk(ctx, b.DB.Bun, a.In.ID, id)
	return Report{BulkRevert: bk, BulkTally: t}, err
}

// seal keeps a token bound to its bulk revert.
func (b *Bulk) seal(bk *db.BulkRevert, token string) []byte {
	return b.Clients.Keys.Seal([]byte(token), tokenAD(bk))
}

func (b *Bulk) open(bk *db.BulkRevert) string {
	if len(bk.Token) == 0 {
		return ""
	}
	plain, err := b.Clients.Keys.Open(bk.Token, tokenAD(bk))
	if err != nil {
		return ""
	}
	return string(plain)
}

func tokenAD(bk *db.BulkRevert) []byte {
	return fmt.Appendf(nil, "bulk_reverts.token:%d:%d:%d", bk.PortalID, bk.ID, bk.UserID)
}
