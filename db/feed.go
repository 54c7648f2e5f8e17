package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// RecentChanges returns the rows of the portal's last limit changes across
// every record, newest first; rows of one change stay together.
func RecentChanges(ctx context.Context, q bun.IDB, portalID int64, limit int) ([]HistoryRow, error) {
	page := q.NewSelect().Model((*HistoryRow)(nil)).Column("change_id").ColumnExpr("max(changed_at) AS at").
		Where("portal_id = ?", portalID).
		Group("change_id").OrderExpr("at DESC, change_id DESC").Limit(int64(limit))
	var rows []HistoryRow
	err := q.NewSelect().Model(&rows).
		With("page", page).
		Join("JOIN page ON page.change_id = history_row.change_id").
		Where("history_row.portal_id = ?", portalID).
		OrderExpr("page.at DESC, history_row.change_id DESC, history_row.field, history_row.id").
		Scan(ctx)
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
		FROM history WHERE portal_id = ? AND changed_at >= ?
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
