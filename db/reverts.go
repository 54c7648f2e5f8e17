package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/trailhq/trail/app/crm"
)

// Revert states: a preview waits for its submit; one submit claims it
// (applying) and finishes it (done), so a second submit writes nothing.
const (
	RevertPreviewed = "previewed"
	RevertApplying  = "applying"
	RevertDone      = "done"
)

// Revert is one revert of a change (or of one field of it, or of the whole
// record to a moment), from preview
// to outcome: the audit of who reverted what and what became of each field.
type Revert struct {
	bun.BaseModel `bun:"table:reverts"`

	PortalID int64    `bun:"portal_id,pk"`
	ID       int64    `bun:"id,pk,autoincrement"`
	Key      string   `bun:"key"`
	UserID   int64    `bun:"user_id"`
	Entity   crm.Type `bun:"entity"`
	EntityID int64    `bun:"entity_id"`
	ChangeID int64    `bun:"change_id"` // 0 when Moment is set
	// Moment: the revert puts the whole record back as it was then.
	Moment    *time.Time    `bun:"moment"`
	Field     string        `bun:"field"` // "" for the whole change
	State     string        `bun:"state"`
	Fields    []RevertField `bun:"fields,type:jsonb"`
	CreatedAt time.Time     `bun:"created_at,nullzero,default:now()"`
	DoneAt    *time.Time    `bun:"done_at"`
	// RecordedChangeID is the change Trail recorded for the revert's write.
	RecordedChangeID *int64 `bun:"recorded_change_id"`
	// Recreate: the revert brings a deleted record (EntityID, deleted by
	// ChangeID) back as a new one, RecreatedID once the portal created it.
	Recreate    bool   `bun:"recreate"`
	RecreatedID *int64 `bun:"recreated_id"`
	// BulkID is the bulk revert that wrote it; nil for a person's own.
	BulkID *int64 `bun:"bulk_id"`
}

// RevertField is one field of a revert: its value in the portal when the
// preview was made, the value to put back, and what became of it.
type RevertField struct {
	Field string `json:"field"`
	// Current is the portal's value at the preview, Target the value to
	// write, both as history.Value JSON (null for empty).
	Current json.RawMessage `json:"current,omitempty"`
	Target  json.RawMessage `json:"target,omitempty"`
	// Conflict: the field changed again after the change reverted.
	Conflict bool `json:"conflict,omitempty"`
	// Writable is false for a field nobody may write back; Reason says why.
	Writable bool `json:"writable"`
	// Chosen: the person ticked it.
	Chosen bool `json:"chosen,omitempty"`
	// Outcome is written, skipped, conflict or refused, once submitted.
	Outcome string `json:"outcome,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// Outcomes of a revert's field.
const (
	OutcomeWritten  = "written"
	OutcomeSkipped  = "skipped"
	OutcomeConflict = "conflict"
	OutcomeRefused  = "refused"
)

// Written lists the fields a revert wrote.
func (r *Revert) Written() []string {
	var out []string
	for _, f := range r.Fields {
		if f.Outcome == OutcomeWritten {
			out = append(out, f.Field)
		}
	}
	return out
}

// AddRevert stores a previewed revert.
func AddRevert(ctx context.Context, q bun.IDB, r *Revert) error {
	r.State = RevertPreviewed
	if _, err := q.NewInsert().Model(r).ExcludeColumn("id", "created_at").Returning("id, created_at").Exec(ctx); err != nil {
		return fmt.Errorf("add revert: %w", err)
	}
	return nil
}

// RevertByKey returns a portal's revert by its preview key, or ErrNotFound.
func RevertByKey(ctx context.Context, q bun.IDB, portalID int64, key string) (*Revert, error) {
	r := &Revert{}
	if err := q.NewSelect().Model(r).Where("portal_id = ?", portalID).Where("key = ?", key).Scan(ctx); err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

// ClaimRevert moves a previewed revert of the user to applying and reports
// whether this call did: of two submits of one preview only one writes.
func ClaimRevert(ctx context.Context, q bun.IDB, portalID, userID int64, key string) (bool, error) {
	res, err := q.NewUpdate().Model((*Revert)(nil)).Set("state = ?", RevertApplying).
		Where("portal_id = ?", portalID).Where("key = ?", key).Where("user_id = ?", userID).
		Where("state = ?", RevertPreviewed).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("claim revert: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// StartRevert stores what a claimed revert is about to write (the fields
// with the outcome written) just before it writes: the portal may report
// the write, and the drain record it, before the revert is finished, and
// the change must still be told apart as the revert's (RevertOfChange).
// FinishRevert then stores the real outcome.
func StartRevert(ctx context.Context, q bun.IDB, portalID, id int64, fields []RevertField) error {
	_, err := q.NewUpdate().Model((*Revert)(nil)).Set("fields = ?", fields).Set("done_at = now()").
		Where("portal_id = ?", portalID).Where("id = ?", id).Where("state = ?", RevertApplying).Exec(ctx)
	if err != nil {
		return fmt.Errorf("start revert: %w", err)
	}
	return nil
}

// writing are the states of a revert whose write the drain may see:
// started (StartRevert) or finished.
var writing = []string{RevertApplying, RevertDone}

// FinishRevert stores a claimed revert's outcome.
func FinishRevert(ctx context.Context, q bun.IDB, portalID, id int64, fields []RevertField) error {
	_, err := q.NewUpdate().Model((*Revert)(nil)).Set("state = ?", RevertDone).Set("fields = ?", fields).Set("done_at = now()").
		Where("portal_id = ?", portalID).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("finish revert: %w", err)
	}
	return nil
}

// RecentReverts lists a portal's latest reverts, newest first.
func RecentReverts(ctx context.Context, q bun.IDB, portalID int64, limit int) ([]Revert, error) {
	var out []Revert
	err := q.NewSelect().Model(&out).Where("portal_id = ?", portalID).Where("state <> ?", RevertPreviewed).
		OrderExpr("created_at DESC, id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("recent reverts: %w", err)
	}
	return out, nil
}

// revertMatchWindow is how long after its write a revert waits for the
// drain to see the change it made.
const revertMatchWindow = 30 * time.Minute

// revertPartsWindow is how long after a revert is finished a drain still
// looks for further changes of its write: a write of several calls (the
// fields, then the product rows) may reach Trail as more than one change.
const revertPartsWindow = 5 * time.Minute

// RevertOfChange returns the revert a change of a record by user made at
// changedAt belongs to, locked so one drain takes it; nil when there is
// none. It is the latest started or finished revert of the record by the
// user that wrote a field and either has no recorded change yet, is still
// writing, or finished no earlier than the change was made.
func RevertOfChange(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, id, userID int64, changedAt time.Time) (*Revert, error) {
	r := &Revert{}
	err := q.NewSelect().Model(r).Where("portal_id = ?", portalID).Where("entity = ?", entity).Where("entity_id = ?", id).
		Where("user_id = ?", userID).Where("state IN (?)", bun.List(writing)).Where("NOT recreate").
		Where("recorded_change_id IS NULL OR state = ? OR done_at >= ?", RevertApplying, changedAt).
		Where("fields @> ?::jsonb", `[{"outcome":"`+OutcomeWritten+`"}]`).
		Where("done_at > now() - ?::interval", revertMatchWindow.String()).
		OrderExpr("done_at DESC").Limit(1).For("UPDATE").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("revert of change: %w", err)
	}
	return r, nil
}

// AwaitingReverts reports whether a portal has a revert whose changes Trail
// may still record: the drain looks for the one a change belongs to only
// then.
func AwaitingReverts(ctx context.Context, q bun.IDB, portalID int64) (bool, error) {
	var ok bool
	if err := q.NewSelect().ColumnExpr("EXISTS (?)", awaitingReverts(q, portalID)).Scan(ctx, &ok); err != nil {
		return false, fmt.Errorf("awaiting reverts: %w", err)
	}
	return ok, nil
}

// ChangeIDsAndReverts reserves n change ids and reports AwaitingReverts,
// in one statement: a drain's write asks both.
func ChangeIDsAndReverts(ctx context.Context, q bun.IDB, portalID int64, n int) ([]int64, bool, error) {
	var (
		ids     []int64
		waiting bool
	)
	err := q.NewSelect().
		ColumnExpr("array(SELECT nextval('history_change_seq') FROM generate_series(1, ?))", n).
		ColumnExpr("EXISTS (?)", awaitingReverts(q, portalID)).
		Scan(ctx, pgdialect.Array(&ids), &waiting)
	if err != nil {
		return nil, false, fmt.Errorf("reserve change ids: %w", err)
	}
	return ids, waiting, nil
}

func awaitingReverts(q bun.IDB, portalID int64) *bun.SelectQuery {
	return q.NewSelect().Model((*Revert)(nil)).ColumnExpr("1").Where("portal_id = ?", portalID).Where("state IN (?)", bun.List(writing)).Where("NOT recreate").
		Where("recorded_change_id IS NULL AND done_at > now() - ?::interval OR done_at > now() - ?::interval",
			revertMatchWindow.String(), revertPartsWindow.String())
}

// RevertRecorded notes the change Trail recorded for a revert's write.
func RevertRecorded(ctx context.Context, q bun.IDB, portalID, id, changeID int64) error {
	_, err := q.NewUpdate().Model((*Revert)(nil)).Set("recorded_change_id = coalesce(recorded_change_id, ?)", changeID).
		Where("portal_id = ?", portalID).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("revert recorded: %w", err)
	}
	return nil
}

// ChangeRows returns the rows of one change of one record.
func ChangeRows(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, id, changeID int64) ([]HistoryRow, error) {
	var rows []HistoryRow
	err := q.NewSelect().Model(&rows).Where("portal_id = ?", portalID).Where("entity = ?", entity).
		Where("entity_id = ?", id).Where("change_id = ?", changeID).OrderExpr("field, item_key, seq").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("change rows: %w", err)
	}
	return rows, nil
}

// previewLife is how long a preview may wait for its submit.
const previewLife = 24 * time.Hour

// PruneReverts deletes previews nobody submitted within previewLife and
// finished reverts older than their portal's history retention. It
// returns how many it deleted.
func PruneReverts(ctx context.Context, q bun.IDB) (int64, error) {
	res, err := q.NewRaw(`DELETE FROM reverts r
		WHERE r.state = ? AND r.created_at < now() - ?::interval
		OR r.created_at < now() - make_interval(days => coalesce(
			(SELECT s.retention_days FROM portal_settings s WHERE s.portal_id = r.portal_id), ?))`,
		RevertPreviewed, previewLife.String(), DefaultRetentionDays).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune reverts: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
