package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// RecentChanges returns the rows of the portal's last limit changes across
// every record, newest first; rows of one change stay together. The
// changes come from history_portal_idx (a change's first row), their rows
// from history_record_idx.
func RecentChanges(ctx context.Context, q bun.IDB, portalID int64, limit int) ([]HistoryRow, error) {
	var rows []HistoryRow
	err := q.NewRaw(`WITH page AS (
			SELECT entity, entity_id, changed_at, change_id FROM history WHERE portal_id = ? AND seq = 0
			ORDER BY changed_at DESC, change_id DESC LIMIT ?
		)
		SELECT h.* FROM history h JOIN page ON h.entity = page.entity AND h.entity_id = page.entity_id
			AND h.changed_at = page.changed_at AND h.change_id = page.change_id
		WHERE h.portal_id = ?
		ORDER BY h.changed_at DESC, h.change_id DESC, h.field, h.seq`,
		portalID, limit, portalID).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("recent changes: %w", err)
	}
	return rows, nil
}

// DayCount is how many changes were made on one day.
type DayCount struct {
	Day     time.Time `bun:"day"`
	Changes int64     `bun:"changes"`
}

// ChangesPerDay counts the portal's changes (not changed fields) per day
// over the last days days up to today, in loc's calendar, oldest first;
// days without changes are included with zero.
func ChangesPerDay(ctx context.Context, q bun.IDB, portalID int64, days int, loc *time.Location) ([]DayCount, error) {
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	first := today.AddDate(0, 0, -(days - 1))
	var counted []struct {
		Day     string `bun:"day"`
		Changes int64  `bun:"changes"`
	}
	err := q.NewRaw(`SELECT to_char(changed_at AT TIME ZONE ?, 'YYYY-MM-DD') AS day, count(DISTINCT change_id) AS changes
		FROM history WHERE portal_id = ? AND seq = 0 AND changed_at >= ?
		GROUP BY 1`, loc.String(), portalID, first).Scan(ctx, &counted)
	if err != nil {
		return nil, fmt.Errorf("changes per day: %w", err)
	}
	byDay := make(map[string]int64, len(counted))
	for _, c := range counted {
		byDay[c.Day] = c.Changes
	}
	out := make([]DayCount, days)
	for i := range out {
		d := first.AddDate(0, 0, i)
		out[i] = DayCount{Day: d, Changes: byDay[d.Format(time.DateOnly)]}
	}
	return out, nil
}
