package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/crm"
)

// Bulk revert states: running until every record is done; paused when the
// portal no longer takes the administrator's token (the page brings a
// fresh one and resumes it).
const (
	BulkRunning = "running"
	BulkPaused  = "paused"
	BulkDone    = "done"
)

// Bulk record states: a record is written once; one whose write was sent
// when the job stopped is read again to tell whether it landed.
const (
	BulkRecordPending = "pending"
	BulkRecordWriting = "writing"
	BulkRecordDone    = "done"
)

// Outcomes of a bulk revert's record.
const (
	BulkRestored = "restored"
	BulkSkipped  = "skipped"
	BulkConflict = "conflict"
	BulkRefused  = "refused"
)

// BulkFilter selects the changes a bulk revert puts back: one person's,
// within [From, To), of one type and one field when set.
type BulkFilter struct {
	AuthorID int64
	From, To time.Time
	Entity   crm.Type // 0: every type Types lists
	Field    string   // "": every field
	// Types are the types whose records can be written back.
	Types []crm.Type
}

// BulkRevert is one bulk revert: what it selected, who started it, where
// it is.
type BulkRevert struct {
	bun.BaseModel `bun:"table:bulk_reverts"`

	PortalID int64 `bun:"portal_id,pk"`
	ID       int64 `bun:"id,pk,autoincrement"`
	UserID   int64 `bun:"user_id"`
	AuthorID int64 `bun:"author_id"`
	// Type is the entityTypeId its changes are of, 0 for every type
	// (crm.Type stores only real types).
	Type       int64      `bun:"entity"`
	Field      string     `bun:"field"`
	From       time.Time  `bun:"from_at"`
	To         time.Time  `bun:"to_at"`
	State      string     `bun:"state"`
	PausedWhy  string     `bun:"paused_why"`
	Token      []byte     `bun:"token"`
	Total      int        `bun:"total"`
	CreatedAt  time.Time  `bun:"created_at,nullzero,default:now()"`
	FinishedAt *time.Time `bun:"finished_at"`
}

// BulkRecord is one record of a bulk revert.
type BulkRecord struct {
	bun.BaseModel `bun:"table:bulk_revert_records"`

	PortalID int64         `bun:"portal_id,pk"`
	BulkID   int64         `bun:"bulk_id,pk"`
	Entity   crm.Type      `bun:"entity,pk"`
	EntityID int64         `bun:"entity_id,pk"`
	State    string        `bun:"state"`
	Outcome  string        `bun:"outcome"`
	Reason   string        `bun:"reason"`
	Fields   []RevertField `bun:"fields,type:jsonb"`
	ChangeID int64         `bun:"change_id"`
}

// BulkCount is what a filter selects: records, field changes, and records
// with a selected field someone changed again afterwards.
type BulkCount struct {
	Records   int `bun:"records"`
	Changes   int `bun:"changes"`
	Conflicts int `bun:"conflicts"`
}

// selected is the history rows a filter selects: updates only.
func selected(q *bun.SelectQuery, portalID int64, f BulkFilter) *bun.SelectQuery {
	q = q.Where("h.portal_id = ?", portalID).Where("h.author_id = ?", f.AuthorID).
		Where("h.changed_at >= ?", f.From).Where("h.changed_at < ?", f.To).Where("h.action = ?", CodeUpdated)
	if f.Entity != 0 {
		q = q.Where("h.entity = ?", f.Entity)
	} else {
		q = q.Where("h.entity IN (?)", bun.List(f.Types))
	}
	if f.Field != "" {
		q = q.Where("h.field = ?", f.Field)
	}
	return q
}

// CountBulk counts what a filter selects. A record is in conflict when a
// selected field of it changed after the window, or within it by someone
// else after the person's change.
func CountBulk(ctx context.Context, q bun.IDB, portalID int64, f BulkFilter) (BulkCount, error) {
	var c BulkCount
	sel := selected(q.NewSelect().TableExpr("history AS h"), portalID, f).
		ColumnExpr("count(DISTINCT (h.entity, h.entity_id)) AS records").
		ColumnExpr("count(DISTINCT (h.entity, h.entity_id, h.change_id, h.field)) AS changes").
		ColumnExpr(`count(DISTINCT (h.entity, h.entity_id)) FILTER (WHERE EXISTS (SELECT 1 FROM history l
			WHERE l.portal_id = h.portal_id AND l.entity = h.entity AND l.entity_id = h.entity_id AND l.field = h.field
			AND l.changed_at >= h.changed_at AND l.change_id <> h.change_id
			AND (l.changed_at >= ? OR l.author_id IS DISTINCT FROM h.author_id))) AS conflicts`, f.To)
	if err := sel.Scan(ctx, &c); err != nil {
		return c, fmt.Errorf("count bulk: %w", err)
	}
	return c, nil
}

// AddBulkRevert stores a bulk revert and one pending row per record its
// filter selects, and sets its total.
func AddBulkRevert(ctx context.Context, tx bun.IDB, b *BulkRevert, f BulkFilter) error {
	b.State = BulkRunning
	if _, err := tx.NewInsert().Model(b).ExcludeColumn("id", "created_at", "total").Returning("id, created_at").Exec(ctx); err != nil {
		return fmt.Errorf("add bulk revert: %w", err)
	}
	sel := selected(tx.NewSelect().TableExpr("history AS h"), b.PortalID, f).
		ColumnExpr("h.portal_id, ?::bigint, h.entity, h.entity_id, min(h.change_id)", b.ID).GroupExpr("h.portal_id, h.entity, h.entity_id")
	res, err := tx.NewRaw("INSERT INTO bulk_revert_records (portal_id, bulk_id, entity, entity_id, change_id) ?", sel).Exec(ctx)
	if err != nil {
		return fmt.Errorf("add bulk revert records: %w", err)
	}
	n, _ := res.RowsAffected()
	b.Total = int(n)
	_, err = tx.NewUpdate().Model(b).Column("total").WherePK().Exec(ctx)
	return err
}

// BulkRevertByID returns a portal's bulk revert, or ErrNotFound.
func BulkRevertByID(ctx context.Context, q bun.IDB, portalID, id int64) (*BulkRevert, error) {
	b := &BulkRevert{}
	if err := q.NewSelect().Model(b).Where("portal_id = ?", portalID).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return b, nil
}

// RecentBulkReverts lists a portal's latest bulk reverts, newest first.
func RecentBulkReverts(ctx context.Context, q bun.IDB, portalID int64, limit int) ([]BulkRevert, error) {
	var out []BulkRevert
	err := q.NewSelect().Model(&out).ExcludeColumn("token").Where("portal_id = ?", portalID).
		OrderExpr("created_at DESC, id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("recent bulk reverts: %w", err)
	}
	return out, nil
}

// SetBulkState moves a bulk revert to state; a token is kept (sealed)
// only while it may still write.
func SetBulkState(ctx context.Context, q bun.IDB, portalID, id int64, state, why string, token []byte) error {
	u := q.NewUpdate().Model((*BulkRevert)(nil)).Set("state = ?", state).Set("paused_why = ?", why).Set("token = ?", token).
		Where("portal_id = ?", portalID).Where("id = ?", id)
	if state == BulkDone {
		u = u.Set("finished_at = now()")
	} else {
		u = u.Where("state <> ?", BulkDone)
	}
	if _, err := u.Exec(ctx); err != nil {
		return fmt.Errorf("set bulk state: %w", err)
	}
	return nil
}

// SetBulkToken replaces the sealed token of a bulk revert that is not
// done.
func SetBulkToken(ctx context.Context, q bun.IDB, portalID, id int64, token []byte) error {
	_, err := q.NewUpdate().Model((*BulkRevert)(nil)).Set("token = ?", token).
		Where("portal_id = ?", portalID).Where("id = ?", id).Where("state <> ?", BulkDone).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set bulk token: %w", err)
	}
	return nil
}

// NextBulkRecords returns up to limit records of a bulk revert not done
// yet, all of one type, in order.
func NextBulkRecords(ctx context.Context, q bun.IDB, portalID, bulkID int64, limit int) ([]BulkRecord, error) {
	var out []BulkRecord
	err := q.NewSelect().Model(&out).Where("portal_id = ?", portalID).Where("bulk_id = ?", bulkID).Where("state <> ?", BulkRecordDone).
		Where(`entity = (SELECT min(entity) FROM bulk_revert_records WHERE portal_id = ? AND bulk_id = ? AND state <> ?)`, portalID, bulkID, BulkRecordDone).
		OrderExpr("entity_id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("next bulk records: %w", err)
	}
	return out, nil
}

// SaveBulkRecords stores records' state, outcome and fields.
func SaveBulkRecords(ctx context.Context, q bun.IDB, recs []BulkRecord) error {
	for i := range recs {
		r := &recs[i]
		_, err := q.NewUpdate().Model(r).Column("state", "outcome", "reason", "fields").
			Where("portal_id = ?", r.PortalID).Where("bulk_id = ?", r.BulkID).Where("entity = ?", r.Entity).Where("entity_id = ?", r.EntityID).
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("save bulk record: %w", err)
		}
	}
	return nil
}

// BulkRecords lists a bulk revert's records, in order.
func BulkRecords(ctx context.Context, q bun.IDB, portalID, bulkID int64) ([]BulkRecord, error) {
	var out []BulkRecord
	err := q.NewSelect().Model(&out).Where("portal_id = ?", portalID).Where("bulk_id = ?", bulkID).OrderExpr("entity, entity_id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("bulk records: %w", err)
	}
	return out, nil
}

// BulkTally is how many of a bulk revert's records are done, by outcome.
type BulkTally struct {
	Done, Restored, Skipped, Conflicts, Refused int
}

// TallyBulk counts a bulk revert's records by outcome.
func TallyBulk(ctx context.Context, q bun.IDB, portalID, bulkID int64) (BulkTally, error) {
	var t BulkTally
	err := q.NewSelect().TableExpr("bulk_revert_records").
		ColumnExpr("count(*) FILTER (WHERE state = ?) AS done", BulkRecordDone).
		ColumnExpr("count(*) FILTER (WHERE outcome = ?) AS restored", BulkRestored).
		ColumnExpr("count(*) FILTER (WHERE outcome = ?) AS skipped", BulkSkipped).
		ColumnExpr("count(*) FILTER (WHERE outcome = ?) AS conflicts", BulkConflict).
		ColumnExpr("count(*) FILTER (WHERE outcome = ?) AS refused", BulkRefused).
		Where("portal_id = ?", portalID).Where("bulk_id = ?", bulkID).Scan(ctx, &t.Done, &t.Restored, &t.Skipped, &t.Conflicts, &t.Refused)
	if err != nil {
		return t, fmt.Errorf("tally bulk: %w", err)
	}
	return t, nil
}

// BulkChangeRows returns, per record, the history rows a bulk revert's
// filter selects of the given records of one type, oldest change first.
func BulkChangeRows(ctx context.Context, q bun.IDB, portalID int64, f BulkFilter, entity crm.Type, ids []int64) (map[int64][]HistoryRow, error) {
	f.Entity = entity
	var rows []HistoryRow
	err := selected(q.NewSelect().Model(&rows).ModelTableExpr("history AS h").ColumnExpr("h.*"), portalID, f).
		Where("h.entity_id IN (?)", bun.List(ids)).OrderExpr("h.entity_id, h.changed_at, h.change_id, h.seq").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("bulk change rows: %w", err)
	}
	out := map[int64][]HistoryRow{}
	for _, r := range rows {
		out[r.EntityID] = append(out[r.EntityID], r)
	}
	return out, nil
}

// Filter is the selection a bulk revert was started with.
func (b *BulkRevert) Filter(types []crm.Type) BulkFilter {
	return BulkFilter{AuthorID: b.AuthorID, From: b.From, To: b.To, Entity: b.Entity(), Field: b.Field, Types: types}
}

// Entity is the type its changes are of, 0 for every type.
func (b *BulkRevert) Entity() crm.Type { return crm.Type(b.Type) }

// ReplaceBulkAudit stores the audit of a record's write by a bulk revert
// in reverts (the drain finds it there to record the portal's change as a
// revert), in place of one an earlier run left for the record.
func ReplaceBulkAudit(ctx context.Context, q bun.IDB, r *Revert, bulkID int64) error {
	_, err := q.NewDelete().Model((*Revert)(nil)).Where("portal_id = ?", r.PortalID).Where("bulk_id = ?", bulkID).
		Where("entity = ?", r.Entity).Where("entity_id = ?", r.EntityID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("replace bulk audit: %w", err)
	}
	r.BulkID, r.State = &bulkID, RevertDone
	now := time.Now()
	r.DoneAt = &now
	if _, err := q.NewInsert().Model(r).ExcludeColumn("id", "created_at").Returning("id, created_at").Exec(ctx); err != nil {
		return fmt.Errorf("add bulk audit: %w", err)
	}
	return nil
}

// OpenBulkRevert reports whether a portal has a bulk revert not done yet,
// locking the portal's row so two starts do not both find none.
func OpenBulkRevert(ctx context.Context, q bun.IDB, portalID int64) (bool, error) {
	if _, err := q.NewRaw("SELECT 1 FROM installations WHERE id = ? FOR UPDATE", portalID).Exec(ctx); err != nil {
		return false, fmt.Errorf("lock portal: %w", err)
	}
	ok, err := q.NewSelect().Model((*BulkRevert)(nil)).Where("portal_id = ?", portalID).Where("state <> ?", BulkDone).Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("open bulk revert: %w", err)
	}
	return ok, nil
}

// StopBulkRevert ends a bulk revert that is not done: records not reached
// are skipped as stopped, and one whose write was sent but not confirmed
// is reported as such.
func StopBulkRevert(ctx context.Context, q bun.IDB, portalID, id int64) error {
	res, err := q.NewUpdate().Model((*BulkRevert)(nil)).Set("state = ?", BulkDone).Set("paused_why = 'stopped'").
		Set("token = NULL").Set("finished_at = now()").
		Where("portal_id = ?", portalID).Where("id = ?", id).Where("state <> ?", BulkDone).Exec(ctx)
	if err != nil {
		return fmt.Errorf("stop bulk revert: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	_, err = q.NewUpdate().Model((*BulkRecord)(nil)).Set("state = ?", BulkRecordDone).Set("outcome = ?", BulkSkipped).
		Set("reason = CASE WHEN state = ? THEN 'stopped_unconfirmed' ELSE 'stopped' END", BulkRecordWriting).
		Where("portal_id = ?", portalID).Where("bulk_id = ?", id).Where("state <> ?", BulkRecordDone).Exec(ctx)
	if err != nil {
		return fmt.Errorf("stop bulk revert records: %w", err)
	}
	return nil
}
