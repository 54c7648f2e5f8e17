package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/crm"
)

// DeletedRecord is a record the portal deleted, as Trail last saw it.
type DeletedRecord struct {
	Entity   crm.Type        `bun:"entity"`
	EntityID int64           `bun:"entity_id"`
	Data     json.RawMessage `bun:"data"`
	Format   int16           `bun:"format"`
	// DeletedAt orders the list (Trail's clock when it saw the deletion);
	// ChangedAt, ChangeID and AuthorID are the deletion's history entry.
	DeletedAt time.Time `bun:"deleted_at"`
	ChangedAt time.Time `bun:"changed_at"`
	ChangeID  int64     `bun:"change_id"`
	AuthorID  *int64    `bun:"author_id"`
	// RecreatedID is the record a restore created from it; nil if none.
	RecreatedID *int64 `bun:"recreated_id"`
}

// DeletedCursor points after the last record of a page of deleted records.
type DeletedCursor struct {
	At       time.Time
	Entity   crm.Type
	EntityID int64
}

// DeletedRecords lists a portal's deleted records whose deletion Trail
// still keeps, newest deletion first, of the types given (nil: any), after
// cursor.
func DeletedRecords(ctx context.Context, q bun.IDB, portalID int64, types []crm.Type, after *DeletedCursor, limit int) ([]DeletedRecord, error) {
	var out []DeletedRecord
	if types != nil && len(types) == 0 {
		return nil, nil
	}
	err := deletedQuery(q, portalID).
		Apply(func(s *bun.SelectQuery) *bun.SelectQuery {
			if types != nil {
				s = s.Where("s.entity IN (?)", bun.List(types))
			}
			if after != nil {
				s = s.Where("(s.deleted_at, s.entity, s.entity_id) < (?, ?, ?)", after.At, after.Entity, after.EntityID)
			}
			return s
		}).
		OrderExpr("s.deleted_at DESC, s.entity DESC, s.entity_id DESC").Limit(int64(limit)).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("deleted records: %w", err)
	}
	return out, nil
}

// DeletedOne returns one deleted record of a portal, or ErrNotFound when
// the portal holds no deletion of it.
func DeletedOne(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, id int64) (*DeletedRecord, error) {
	var out DeletedRecord
	err := deletedQuery(q, portalID).Where("s.entity = ?", entity).Where("s.entity_id = ?", id).Scan(ctx, &out)
	if err != nil {
		return nil, notFound(err)
	}
	return &out, nil
}

// deletedQuery reads deleted snapshots with their deletion's entry (the
// latest) and the record a restore created from them.
func deletedQuery(q bun.IDB, portalID int64) *bun.SelectQuery {
	return q.NewSelect().TableExpr("snapshots AS s").
		ColumnExpr("s.entity, s.entity_id, s.data, s.format, s.deleted_at, d.changed_at, d.change_id, d.author_id, r.recreated_id").
		Join(`JOIN LATERAL (SELECT h.changed_at, h.change_id, h.author_id FROM history h
			WHERE h.portal_id = s.portal_id AND h.entity = s.entity AND h.entity_id = s.entity_id AND h.action = ?
			ORDER BY h.changed_at DESC, h.change_id DESC LIMIT 1) d ON true`, CodeDeleted).
		Join(`LEFT JOIN LATERAL (SELECT v.recreated_id FROM reverts v
			WHERE v.portal_id = s.portal_id AND v.entity = s.entity AND v.entity_id = s.entity_id AND v.recreate AND v.recreated_id IS NOT NULL
			LIMIT 1) r ON true`).
		Where("s.portal_id = ?", portalID).Where("s.deleted_at IS NOT NULL")
}

// ErrRecreated: the deleted record was restored already, or a restore of
// it is being written.
var ErrRecreated = errors.New("db: record restored already")

// ClaimRecreate moves a user's previewed restore of a deleted record to
// applying and reports whether this call did. A deleted record another
// restore brought back (or is bringing back) gives ErrRecreated: of two
// restores only one creates a record.
func ClaimRecreate(ctx context.Context, q bun.IDB, portalID, userID int64, key string) (bool, error) {
	claimed, err := ClaimRevert(ctx, q, portalID, userID, key)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "reverts_one_recreate_idx" {
		return false, ErrRecreated
	}
	return claimed, err
}

// RecreateOf returns the restore that brought a deleted record back (or is
// bringing it back), or ErrNotFound.
func RecreateOf(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, id int64) (*Revert, error) {
	r := &Revert{}
	err := q.NewSelect().Model(r).Where("portal_id = ?", portalID).Where("entity = ?", entity).Where("entity_id = ?", id).
		Where("recreate").Where("state = ? OR recreated_id IS NOT NULL", RevertApplying).Limit(1).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return r, nil
}

// lockRecreated serialises, per portal, a drain recording creations with a
// restore naming the record it created, so that one of them sees the
// other: the creation's rows name the deleted record either way.
func lockRecreated(ctx context.Context, q bun.IDB, portalID int64) error {
	_, err := q.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", fmt.Sprintf("trail.recreate.%d", portalID))
	return err
}

// Recreated notes the record a restore created and, if Trail has recorded
// its creation already, marks that creation as the restore's.
func Recreated(ctx context.Context, d *DB, portalID, revertID int64, entity crm.Type, oldID, newID int64) error {
	return d.Bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := lockRecreated(ctx, tx, portalID); err != nil {
			return fmt.Errorf("recreated: %w", err)
		}
		if _, err := tx.NewUpdate().Model((*Revert)(nil)).Set("recreated_id = ?", newID).
			Where("portal_id = ?", portalID).Where("id = ?", revertID).Exec(ctx); err != nil {
			return fmt.Errorf("recreated: %w", err)
		}
		var changes []int64
		err := tx.NewUpdate().Table("history").Set("restored_from = ?", oldID).
			Where("portal_id = ?", portalID).Where("entity = ?", entity).Where("entity_id = ?", newID).
			Where("action = ?", CodeCreated).Returning("change_id").Scan(ctx, &changes)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("recreated: %w", err)
		}
		if len(changes) == 0 {
			return nil
		}
		return RevertRecorded(ctx, tx, portalID, revertID, changes[0])
	})
}

// RecreatedCreations marks the rows of creations (grouped by change) that
// restores made as restored from their deleted records, and notes the
// change on each restore. Callers are drains, in their transaction.
func RecreatedCreations(ctx context.Context, q bun.IDB, portalID int64, changes [][]*HistoryRow) error {
	var created [][]*HistoryRow
	for _, rows := range changes {
		if rows[0].Action == "created" {
			created = append(created, rows)
		}
	}
	if len(created) == 0 {
		return nil
	}
	if err := lockRecreated(ctx, q, portalID); err != nil {
		return fmt.Errorf("recreated creations: %w", err)
	}
	var pending []Revert
	err := q.NewSelect().Model(&pending).Column("id", "entity", "entity_id", "recreated_id").
		Where("portal_id = ?", portalID).Where("recreate").Where("recreated_id IS NOT NULL").Where("recorded_change_id IS NULL").
		Scan(ctx)
	if err != nil || len(pending) == 0 {
		return err
	}
	for _, rows := range created {
		for _, r := range pending {
			if r.Entity != rows[0].Entity || *r.RecreatedID != rows[0].EntityID {
				continue
			}
			for _, h := range rows {
				h.RestoredFrom = &r.EntityID
			}
			if err := RevertRecorded(ctx, q, portalID, r.ID, rows[0].ChangeID); err != nil {
				return err
			}
		}
	}
	return nil
}
