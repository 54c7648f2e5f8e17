package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/trailhq/trail/app/crm"
)

// ExtrasState is where the extras phase of one type's baseline stands: the
// reads a baseline leaves out because they take a command per record
// (product rows, and for contacts and companies their links). It lives in
// the type's sync_state row, in columns of its own, so that the field
// baseline and the phase never overwrite each other's progress.
type ExtrasState struct {
	bun.BaseModel `bun:"table:sync_state"`

	PortalID   int64      `bun:"portal_id,pk"`
	Entity     crm.Type   `bun:"entity,pk"`
	State      SyncPhase  `bun:"extras_state"` // pending, running or done
	Total      int64      `bun:"extras_total"`
	Done       int64      `bun:"extras_done"`
	LastID     int64      `bun:"extras_last_id"` // the last record handled
	StartedAt  *time.Time `bun:"extras_started_at"`
	FinishedAt *time.Time `bun:"extras_finished_at"`
}

// LoadExtrasState returns the extras phase of a type's baseline (done when
// the type never had one).
func LoadExtrasState(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type) (*ExtrasState, error) {
	if _, err := q.NewRaw("INSERT INTO sync_state (portal_id, entity) VALUES (?, ?) ON CONFLICT DO NOTHING", portalID, entity).Exec(ctx); err != nil {
		return nil, fmt.Errorf("create sync state: %w", err)
	}
	s := &ExtrasState{}
	if err := q.NewSelect().Model(s).Where("portal_id = ?", portalID).Where("entity = ?", entity).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load extras state: %w", err)
	}
	return s, nil
}

// SaveExtrasState stores the phase's progress, and only that.
func SaveExtrasState(ctx context.Context, q bun.IDB, s *ExtrasState) error {
	if _, err := q.NewUpdate().Model(s).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("save extras state: %w", err)
	}
	return nil
}

// ExtrasStates returns the extras phase of every type of a portal.
func ExtrasStates(ctx context.Context, q bun.IDB, portalID int64) ([]ExtrasState, error) {
	var out []ExtrasState
	if err := q.NewSelect().Model(&out).Where("portal_id = ?", portalID).OrderExpr("entity").Scan(ctx); err != nil {
		return nil, fmt.Errorf("extras states: %w", err)
	}
	return out, nil
}

// MarkExtrasPending notes that the records among ids Trail has no snapshot
// of yet will be stored without their extras. Called in the transaction
// that seeds their snapshots, before it: a record a drain stored first has
// its extras already and is left out.
func MarkExtrasPending(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := q.NewRaw(`INSERT INTO pending_extras (portal_id, entity, entity_id)
		SELECT ?, ?, id FROM unnest(?::bigint[]) AS id
		WHERE NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.portal_id = ? AND s.entity = ? AND s.entity_id = id)
		ON CONFLICT DO NOTHING`, portalID, entity, pgdialect.Array(ids), portalID, entity).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark extras pending: %w", err)
	}
	return nil
}

// PendingExtras returns up to limit records of a type whose extras are
// still to be read, in ID order after the record after.
func PendingExtras(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, after int64, limit int) ([]int64, error) {
	var ids []int64
	err := q.NewRaw(`SELECT entity_id FROM pending_extras WHERE portal_id = ? AND entity = ? AND entity_id > ?
		ORDER BY entity_id LIMIT ?`, portalID, entity, after, limit).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("pending extras: %w", err)
	}
	return ids, nil
}

// CountPendingExtras is how many records of a type still lack their extras.
func CountPendingExtras(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type) (int64, error) {
	var n int64
	err := q.NewRaw(`SELECT count(*) FROM pending_extras WHERE portal_id = ? AND entity = ?`, portalID, entity).Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("count pending extras: %w", err)
	}
	return n, nil
}

// TakeExtrasPending removes the given records from those whose extras are
// still to be read and returns the ones that were. Called in the
// transaction that stores their extras, after their snapshots are locked
// (SnapshotsFor), so that the drain and the extras phase never both take a
// record.
func TakeExtrasPending(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var taken []int64
	err := q.NewRaw(`DELETE FROM pending_extras WHERE portal_id = ? AND entity = ? AND entity_id IN (?) RETURNING entity_id`,
		portalID, entity, bun.List(ids)).Scan(ctx, &taken)
	if err != nil {
		return nil, fmt.Errorf("take pending extras: %w", err)
	}
	for _, id := range taken {
		out[id] = true
	}
	return out, nil
}

// AdvanceExtras moves the phase's cursor to lastID, n more records handled,
// and reports false, changing nothing, when the phase is no longer the one
// s started (a new baseline reset it to start over).
func AdvanceExtras(ctx context.Context, q bun.IDB, s *ExtrasState, lastID, n int64) (bool, error) {
	res, err := q.NewRaw(`UPDATE sync_state SET extras_last_id = ?, extras_done = extras_done + ?
		WHERE portal_id = ? AND entity = ? AND extras_state = 'running' AND extras_started_at = ?`,
		lastID, n, s.PortalID, s.Entity, s.StartedAt).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("advance extras: %w", err)
	}
	if m, _ := res.RowsAffected(); m == 0 {
		return false, nil
	}
	s.LastID, s.Done = lastID, s.Done+n
	return true, nil
}

// FinishExtras marks the phase s started done, its total what it handled,
// and reports false when it is no longer running (a new baseline reset it).
func FinishExtras(ctx context.Context, q bun.IDB, s *ExtrasState) (bool, error) {
	res, err := q.NewRaw(`UPDATE sync_state SET extras_state = 'done', extras_total = extras_done, extras_finished_at = now()
		WHERE portal_id = ? AND entity = ? AND extras_state = 'running' AND extras_started_at = ?`,
		s.PortalID, s.Entity, s.StartedAt).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("finish extras: %w", err)
	}
	m, _ := res.RowsAffected()
	return m > 0, nil
}

// InboxWaiting returns which of the given records have inbox rows waiting
// for a drain.
func InboxWaiting(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	var waiting []int64
	err := q.NewRaw(`SELECT DISTINCT entity_id FROM inbox WHERE portal_id = ? AND entity = ? AND entity_id IN (?)`,
		portalID, entity, bun.List(ids)).Scan(ctx, &waiting)
	if err != nil {
		return nil, fmt.Errorf("inbox waiting: %w", err)
	}
	for _, id := range waiting {
		out[id] = true
	}
	return out, nil
}
