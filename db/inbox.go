package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
)

// InboxRow is a change Trail has heard of and not yet processed.
type InboxRow struct {
	bun.BaseModel `bun:"table:inbox"`

	ID            int64     `bun:"id,pk,autoincrement"`
	PortalID      int64     `bun:"portal_id"`
	Entity        crm.Type  `bun:"entity"`
	EntityID      int64     `bun:"entity_id"`
	Kind          InboxKind `bun:"kind"`
	Origin        Origin    `bun:"origin"`
	UserAuth      bool      `bun:"user_auth"`
	AuthConnector string    `bun:"auth_connector"`
	ActorID       *int64    `bun:"actor_id"`
	ReceivedAt    time.Time `bun:"received_at,nullzero,default:now()"`
}

// InboxKind is what a delivery said happened to a record. It is a hint: the
// drain fetches the record and decides.
type InboxKind string

// Inbox kinds, as the CRM events name them (ONCRMDEALADD: add).
const (
	InboxAdd    InboxKind = "add"
	InboxUpdate InboxKind = "update"
	InboxDelete InboxKind = "delete"
)

// Origin is how Trail heard of a change.
type Origin string

// Inbox origins.
const (
	OriginOnline    Origin = "online"    // an event posted to Trail's handler
	OriginOffline   Origin = "offline"   // the portal's offline event queue, read with Trail's grant
	OriginReconcile Origin = "reconcile" // a DATE_MODIFY scan; nothing was delivered
)

// Delivered reports whether the portal sent the change (online or through
// its offline queue), rather than Trail finding it by a scan.
func (o Origin) Delivered() bool { return o != OriginReconcile }

// Delivery is the origin in the words history classifies sources with.
func (o Origin) Delivery() history.Delivery {
	switch o {
	case OriginOnline:
		return history.DeliveryEvent
	case OriginOffline:
		return history.DeliveryOffline
	case OriginReconcile:
		return history.DeliveryReconcile
	}
	return history.DeliveryUnknown
}

// AddToInbox appends changes of one portal and stamps its last event time.
func AddToInbox(ctx context.Context, q bun.IDB, portalID int64, rows []InboxRow) error {
	if len(rows) == 0 {
		return nil
	}
	for i := range rows {
		rows[i].PortalID = portalID
	}
	if _, err := q.NewInsert().Model(&rows).ExcludeColumn("id").Exec(ctx); err != nil {
		return fmt.Errorf("add to inbox: %w", err)
	}
	for _, r := range rows {
		if !r.Origin.Delivered() {
			continue
		}
		// At most one stamp per portal per ten seconds: every event of a busy
		// portal updating one row would serialise them all on its lock.
		if _, err := q.NewUpdate().Model((*Installation)(nil)).Set("last_event_at = now()").Where("id = ?", portalID).
			Where("last_event_at IS NULL OR last_event_at < now() - interval '10 seconds'").Exec(ctx); err != nil {
			return fmt.Errorf("stamp last event: %w", err)
		}
		break
	}
	return nil
}

// QueueInbox adds to b one insert of delivered rows of any number of
// portals (each row's PortalID set), queued in a pgx batch so that it
// costs one round trip together with whatever else the caller queues.
// The caller stamps the portals' last event time (StampLastEvent).
func QueueInbox(b *pgx.Batch, rows []InboxRow) {
	n := len(rows)
	var (
		portals   = make([]int64, n)
		entities  = make([]int32, n)
		ids       = make([]int64, n)
		kinds     = make([]string, n)
		origins   = make([]string, n)
		userAuth  = make([]bool, n)
		connector = make([]string, n)
		actors    = make([]*int64, n)
	)
	for i, r := range rows {
		portals[i], entities[i], ids[i], kinds[i], origins[i] = r.PortalID, int32(r.Entity), r.EntityID, string(r.Kind), string(r.Origin)
		userAuth[i], connector[i], actors[i] = r.UserAuth, r.AuthConnector, r.ActorID
	}
	b.Queue(`INSERT INTO inbox (portal_id, entity, entity_id, kind, origin, user_auth, auth_connector, actor_id)
		SELECT * FROM unnest($1::bigint[], $2::integer[], $3::bigint[], $4::text[], $5::text[], $6::boolean[], $7::text[], $8::bigint[])`,
		portals, entities, ids, kinds, origins, userAuth, connector, actors)
}

// StampLastEvent notes that portals delivered events just now, in its own
// statement: inside the events handler's transaction the row locks it takes
// would be held while that transaction waits for others. A row that is
// locked is skipped; it is shown to admins, not used to decide anything.
func StampLastEvent(ctx context.Context, q interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, portals []int64) error {
	_, err := q.Exec(ctx, `UPDATE installations SET last_event_at = now() WHERE id IN (
		SELECT id FROM installations WHERE id = ANY($1) FOR NO KEY UPDATE SKIP LOCKED)`, portals)
	if err != nil {
		return fmt.Errorf("stamp last event: %w", err)
	}
	return nil
}

// TakeInbox returns up to limit of the portal's oldest inbox rows, locked
// for this transaction; SKIP LOCKED keeps a second drainer from waiting.
func TakeInbox(ctx context.Context, q bun.IDB, portalID int64, limit int) ([]InboxRow, error) {
	var rows []InboxRow
	err := q.NewSelect().Model(&rows).
		Where("portal_id = ?", portalID).
		OrderExpr("id").Limit(int64(limit)).
		For("UPDATE SKIP LOCKED").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("take inbox: %w", err)
	}
	return rows, nil
}

// DeleteInbox removes processed rows of one portal.
func DeleteInbox(ctx context.Context, e Execer, portalID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := e.Exec(ctx, `DELETE FROM inbox WHERE portal_id = $1 AND id = ANY($2)`, portalID, ids); err != nil {
		return fmt.Errorf("delete inbox: %w", err)
	}
	return nil
}
