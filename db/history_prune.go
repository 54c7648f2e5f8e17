package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Expired is a portal whose history holds rows older than its retention.
type Expired struct {
	PortalID int64     `bun:"portal_id"`
	Before   time.Time `bun:"before"` // rows changed before this are past retention
}

// ExpiredHistory lists the portals with history past their retention
// (DefaultRetentionDays where the admin chose none).
func ExpiredHistory(ctx context.Context, q bun.IDB) ([]Expired, error) {
	var out []Expired
	err := q.NewRaw(`SELECT p.portal_id, p.before FROM (
			SELECT i.id AS portal_id, now() - make_interval(days => coalesce(s.retention_days, ?)) AS before
			FROM installations i LEFT JOIN portal_settings s ON s.portal_id = i.id) p
		WHERE EXISTS (SELECT 1 FROM history h WHERE h.portal_id = p.portal_id AND h.seq = 0 AND h.changed_at < p.before)
		ORDER BY p.portal_id`, DefaultRetentionDays).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("expired history: %w", err)
	}
	return out, nil
}

// PruneHistory deletes the rows of up to limit of the portal's changes
// made before e.Before, oldest first, and returns how many changes and
// rows it deleted. Run outside a transaction, each call is one short
// transaction: it finds the changes through history_portal_idx and their
// rows through history_record_idx, so it holds its row locks for about as
// long as a drain's write lasts, never a lock that keeps inserts out, and
// never leaves a change in part.
func PruneHistory(ctx context.Context, q bun.IDB, e Expired, limit int) (changes, rows int64, err error) {
	err = q.NewRaw(`WITH expired AS (
			SELECT entity, entity_id, changed_at, change_id FROM history
			WHERE portal_id = ? AND seq = 0 AND changed_at < ? ORDER BY changed_at LIMIT ?
		), deleted AS (
			DELETE FROM history h USING expired x
			WHERE h.portal_id = ? AND h.entity = x.entity AND h.entity_id = x.entity_id
				AND h.changed_at = x.changed_at AND h.change_id = x.change_id
			RETURNING 1
		)
		SELECT (SELECT count(*) FROM expired), (SELECT count(*) FROM deleted)`,
		e.PortalID, e.Before, limit, e.PortalID).Scan(ctx, &changes, &rows)
	if err != nil {
		return 0, 0, fmt.Errorf("prune history: %w", err)
	}
	return changes, rows, nil
}
