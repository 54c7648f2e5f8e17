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
		WHERE EXISTS (SELECT 1 FROM history h WHERE h.portal_id = p.portal_id AND h.changed_at < p.before)
		ORDER BY p.portal_id`, DefaultRetentionDays).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("expired history: %w", err)
	}
	return out, nil
}

// PruneHistory deletes up to limit of the portal's rows changed before
// before, oldest first, and returns how many it deleted. Run outside a
// transaction, each call is one short transaction: it finds the rows
// through history_portal_idx and deletes them by their place in the heap,
// so it holds its row locks for about as long as a drain's write lasts and
// never a lock that keeps inserts out. A change's rows share their time,
// so a change split by limit loses its other rows in the next call.
func PruneHistory(ctx context.Context, q bun.IDB, e Expired, limit int) (int64, error) {
	res, err := q.NewRaw(`DELETE FROM history WHERE ctid = ANY (ARRAY(
			SELECT ctid FROM history WHERE portal_id = ? AND changed_at < ?
			ORDER BY changed_at LIMIT ?))`, e.PortalID, e.Before, limit).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune history: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
