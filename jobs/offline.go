package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// offlinePages bounds one job's pulls; a longer queue continues in the next.
const offlinePages = 20

// OfflineArgs pulls a portal's offline event queue into its inbox.
type OfflineArgs struct {
	PortalID int64 `json:"portal_id" river:"unique"`
}

func (OfflineArgs) Kind() string { return "pull_offline" }

// InsertOpts puts pulls on their own queue: every portal that changes
// something sends ONOFFLINEEVENT too, and a failing portal's pull waits out
// the client's retries, so on the events queue they took the workers the
// drains need (found with fifteen failing portals next to healthy ones).
func (OfflineArgs) InsertOpts() river.InsertOpts { return uniqueWhileWaiting(QueueOffline) }

// OfflineWorker moves the portal's offline event queue into its inbox. It
// reserves a page (clear=0), commits the inbox rows with a drain job, and
// only then clears the page at the portal, so a crash in between means the
// page is read again (and coalesced) rather than lost. Portals whose plan
// lacks reservation (rest_offline_extended; WRONG_LICENSE) get the plain
// mode, where the portal deletes what it returns: a crash or a lost answer
// between the read and the commit loses that page. Trail keeps the window
// small (pages of 50, each committed before the next read, and a plain
// read is never repeated after a lost answer, see b24.IsIdempotent), and
// what is lost is the event, not the change: reconciliation later finds
// records modified since its watermark, though without their author (a
// lost deletion it cannot find).
type OfflineWorker struct {
	river.WorkerDefaults[OfflineArgs]
	Deps
}

// Timeout bounds a pull: offlinePages pages at a few seconds each, and a
// portal that does not answer gives its worker back within a minute.
func (w *OfflineWorker) Timeout(*river.Job[OfflineArgs]) time.Duration { return time.Minute }

func (w *OfflineWorker) Work(ctx context.Context, job *river.Job[OfflineArgs]) error {
	in, c, err := w.callable(ctx, job.Args.PortalID)
	if err != nil {
		return w.outcome(ctx, in, err)
	}
	keep := true
	for range offlinePages {
		page, err := c.GetOfflineEvents(ctx, b24.OfflineQuery{Keep: keep, Limit: 50})
		if keep && errors.Is(err, b24.ErrAccessDenied) {
			keep = false // no reservation on this plan
			page, err = c.GetOfflineEvents(ctx, b24.OfflineQuery{Limit: 50})
		}
		if err != nil {
			return w.outcome(ctx, in, err)
		}
		if len(page.Events) == 0 {
			return nil
		}
		rows := offlineRows(page.Events)
		err = w.DB.RunInTx(ctx, func(ctx context.Context, tx db.Tx) error {
			if err := db.AddToInbox(ctx, tx, in.ID, rows); err != nil {
				return err
			}
			if len(rows) == 0 {
				return nil
			}
			return EnqueueDrain(ctx, tx, river.ClientFromContext[pgx.Tx](ctx), in.ID)
		})
		if err != nil {
			return err
		}
		if keep && page.ProcessID != "" {
			if err := c.ClearOfflineEvents(ctx, page.ProcessID, nil); err != nil {
				return w.outcome(ctx, in, err)
			}
		}
		if len(page.Events) < 50 {
			return nil
		}
	}
	_, err = river.ClientFromContext[pgx.Tx](ctx).Insert(ctx, OfflineArgs{PortalID: in.ID}, nil)
	return err
}

// offlineRows maps queued record events to inbox rows; the drain passes
// over the types the portal's settings do not track.
func offlineRows(events []b24.OfflineEvent) []db.InboxRow {
	var rows []db.InboxRow
	for _, e := range events {
		var data struct {
			Fields struct {
				ID           json.Number `json:"ID"`
				EntityTypeID json.Number `json:"ENTITY_TYPE_ID"`
			} `json:"FIELDS"`
		}
		if json.Unmarshal(e.Data, &data) != nil {
			continue
		}
		entity, action, ok := crm.TypeOfEvent(strings.ToUpper(e.Event), data.Fields.EntityTypeID.String())
		if !ok {
			continue
		}
		kind := db.InboxKind(strings.ToLower(action))
		id, err := strconv.ParseInt(data.Fields.ID.String(), 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		row := db.InboxRow{Entity: entity, EntityID: id, Kind: kind, Origin: db.OriginOffline}
		var add struct {
			UserID        json.Number `json:"user_id"`
			AuthConnector string      `json:"auth_connector"`
		}
		if json.Unmarshal(e.Additional, &add) == nil {
			if uid, err := strconv.ParseInt(add.UserID.String(), 10, 64); err == nil && uid > 0 {
				row.UserAuth, row.ActorID = true, &uid
			}
			row.AuthConnector = add.AuthConnector
		}
		rows = append(rows, row)
	}
	return rows
}
