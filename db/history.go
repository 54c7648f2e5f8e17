package db

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
)

// Snapshot is the last known state of one record.
type Snapshot struct {
	bun.BaseModel `bun:"table:snapshots"`

	PortalID int64           `bun:"portal_id,pk"`
	Entity   crm.Type        `bun:"entity,pk"`
	EntityID int64           `bun:"entity_id,pk"`
	Data     json.RawMessage `bun:"data,type:jsonb"`
	Format   int16           `bun:"format"` // history.Format of Data
	// Learned is when each field that joined Data after tracking began did
	// (see history.StateAt); nil when none did.
	Learned      map[string]time.Time `bun:"learned,type:jsonb"`
	ModifiedAt   *time.Time           `bun:"modified_at"`
	DeletedAt    *time.Time           `bun:"deleted_at"`
	TrackedSince time.Time            `bun:"tracked_since,nullzero,default:now()"`
	UpdatedAt    time.Time            `bun:"updated_at,nullzero,default:now()"`
}

// HistoryRow is one changed field of one change. Its words (Action,
// ChangeKind, Source) and values (OldValue, NewValue, history.Value's
// JSON) are what Trail's code reads and writes; the table stores them
// compactly (HistoryCode, compactValue), and the hooks below translate.
type HistoryRow struct {
	bun.BaseModel `bun:"table:history"`

	PortalID   int64           `bun:"portal_id"`
	Entity     crm.Type        `bun:"entity"`
	EntityID   int64           `bun:"entity_id"`
	ChangeID   int64           `bun:"change_id"`
	Action     string          `bun:"-"`
	Field      string          `bun:"field"`
	ChangeKind string          `bun:"-"`
	ItemKey    string          `bun:"item_key"`
	OldValue   json.RawMessage `bun:"-"`
	NewValue   json.RawMessage `bun:"-"`
	AuthorID   *int64          `bun:"author_id"`
	ChangedAt  time.Time       `bun:"changed_at"`
	// UTCOffset is the offset, in seconds east of UTC, of the portal's date
	// values in the state the change produced (or, for a deletion, the last
	// one): how the portal showed the change's time. Nil when unknown.
	UTCOffset *int32 `bun:"utc_offset"`
	Source    string `bun:"-"`
	// RevertsChangeID is the change a revert put back, for a change a
	// revert made; nil otherwise.
	RevertsChangeID *int64 `bun:"reverts_change_id"`
	// RestoresMoment is the moment a revert put the whole record back to,
	// for a change such a revert made; nil otherwise.
	RestoresMoment *time.Time `bun:"restores_moment"`
	// RestoredFrom is the deleted record a created record was restored
	// from; nil otherwise.
	RestoredFrom *int64 `bun:"restored_from"`
	// RevertsBulkID is the bulk revert that made the change, if one did.
	RevertsBulkID *int64 `bun:"reverts_bulk_id"`

	historyStored
}

// historyStored is how the table holds a row's words and values, set by
// the hooks.
type historyStored struct {
	ActionCode HistoryCode `bun:"action"`
	KindCode   HistoryCode `bun:"change_kind"`
	SourceCode HistoryCode `bun:"source"`
	// Seq is the row's place in its change, from 0: the order it was
	// recorded in, which (change_id, field, item_key) does not give, since
	// a list's added values share an empty item key.
	Seq       int16  `bun:"seq"`
	OldStored string `bun:"old_value,nullzero"`
	NewStored string `bun:"new_value,nullzero"`
}

var (
	_ bun.BeforeAppendModelHook = (*HistoryRow)(nil)
	_ bun.AfterScanRowHook      = (*HistoryRow)(nil)
)

// BeforeAppendModel stores the row's words and values compactly, for a
// query that writes the row (bun calls it for selects into it too).
func (r *HistoryRow) BeforeAppendModel(_ context.Context, q bun.Query) error {
	switch q.(type) {
	case *bun.InsertQuery, *bun.UpdateQuery:
		return r.compact()
	}
	return nil
}

// compact sets the row's stored words and values from what Trail's code
// reads and writes.
func (r *HistoryRow) compact() error {
	kind, source := r.ChangeKind, r.Source
	if kind == "" {
		kind = history.FieldChanged.String() // a row of a whole record's creation or deletion
	}
	if source == "" {
		source = history.SourceUnknown.String()
	}
	var err error
	if r.ActionCode, err = actionCodes.code("action", r.Action); err != nil {
		return err
	}
	if r.KindCode, err = changeKindCodes.code("change kind", kind); err != nil {
		return err
	}
	if r.SourceCode, err = sourceCodes.code("source", source); err != nil {
		return err
	}
	r.OldStored, r.NewStored = compactValue(r.OldValue), compactValue(r.NewValue)
	return nil
}

// AfterScanRow reads the row's words and values back from their stored
// form; a column the query did not select reads as nothing.
func (r *HistoryRow) AfterScanRow(context.Context) error {
	var err error
	if r.ActionCode != 0 {
		if r.Action, err = actionCodes.word("action", r.ActionCode); err != nil {
			return err
		}
	}
	if r.KindCode != 0 {
		if r.ChangeKind, err = changeKindCodes.word("change kind", r.KindCode); err != nil {
			return err
		}
	}
	if r.SourceCode != 0 {
		if r.Source, err = sourceCodes.word("source", r.SourceCode); err != nil {
			return err
		}
	}
	if r.OldValue, err = expandValue(r.OldStored); err != nil {
		return err
	}
	r.NewValue, err = expandValue(r.NewStored)
	return err
}

// SnapshotsFor loads the snapshots of the given records of one entity,
// locked for update so two writers of one record serialise.
func SnapshotsFor(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, ids []int64) (map[int64]*Snapshot, error) {
	var rows []*Snapshot
	if len(ids) > 0 {
		err := q.NewSelect().Model(&rows).
			Where("portal_id = ?", portalID).Where("entity = ?", entity).Where("entity_id IN (?)", bun.List(ids)).
			For("UPDATE").Scan(ctx)
		if err != nil {
			return nil, fmt.Errorf("load snapshots: %w", err)
		}
	}
	out := make(map[int64]*Snapshot, len(rows))
	for _, r := range rows {
		out[r.EntityID] = r
	}
	return out, nil
}

// PutSnapshots writes records' states, replacing what was stored.
func PutSnapshots(ctx context.Context, e Execer, rows []*Snapshot) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	var (
		portals  = make([]int64, n)
		entities = make([]int32, n)
		ids      = make([]int64, n)
		data     = make([]json.RawMessage, n)
		formats  = make([]int16, n)
		learned  = make([]json.RawMessage, n) // nil: NULL, no field learned
		modified = make([]*time.Time, n)
		deleted  = make([]*time.Time, n)
	)
	for i, r := range rows {
		portals[i], entities[i], ids[i] = r.PortalID, int32(r.Entity), r.EntityID
		data[i], formats[i], modified[i], deleted[i] = r.Data, r.Format, r.ModifiedAt, r.DeletedAt
		if r.Learned != nil {
			b, err := json.Marshal(r.Learned)
			if err != nil {
				return fmt.Errorf("put snapshots: %w", err)
			}
			learned[i] = b
		}
	}
	_, err := e.Exec(ctx, `INSERT INTO snapshots (portal_id, entity, entity_id, data, format, learned, modified_at, deleted_at)
		SELECT * FROM unnest($1::bigint[], $2::integer[], $3::bigint[], $4::jsonb[], $5::smallint[], $6::jsonb[], $7::timestamptz[], $8::timestamptz[])
		ON CONFLICT (portal_id, entity, entity_id) DO UPDATE SET data = EXCLUDED.data, format = EXCLUDED.format,
			learned = EXCLUDED.learned, modified_at = EXCLUDED.modified_at, deleted_at = EXCLUDED.deleted_at, updated_at = now()`,
		portals, entities, ids, data, formats, learned, modified, deleted)
	if err != nil {
		return fmt.Errorf("put snapshots: %w", err)
	}
	return nil
}

// SeedSnapshots stores baseline states of records Trail has not seen yet;
// records already known (an event got there first) are left alone, since
// their stored state is newer. It returns how many were new. A baseline's
// rows carry no learned fields and no deletion. The rows go as a handful
// of array parameters rather than a statement of values: a chunk of a
// baseline is megabytes of JSON, which PostgreSQL then neither parses as
// SQL nor Trail escapes.
func SeedSnapshots(ctx context.Context, tx Tx, rows []*Snapshot) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	portals, entities, ids := make([]int64, len(rows)), make([]int32, len(rows)), make([]int64, len(rows))
	data, formats, modified := make([]json.RawMessage, len(rows)), make([]int16, len(rows)), make([]*time.Time, len(rows))
	for i, r := range rows {
		if r.Learned != nil || r.DeletedAt != nil {
			return 0, fmt.Errorf("seed snapshots: %s %d is not a baseline state", r.Entity, r.EntityID)
		}
		portals[i], entities[i], ids[i] = r.PortalID, int32(r.Entity), r.EntityID
		data[i], formats[i], modified[i] = r.Data, r.Format, r.ModifiedAt
	}
	var n int64
	err := tx.Pgx(func(ptx pgx.Tx) error {
		tag, err := ptx.Exec(ctx, `INSERT INTO snapshots (portal_id, entity, entity_id, data, format, modified_at)
			SELECT * FROM unnest($1::bigint[], $2::integer[], $3::bigint[], $4::jsonb[], $5::smallint[], $6::timestamptz[])
			ON CONFLICT (portal_id, entity, entity_id) DO NOTHING`, portals, entities, ids, data, formats, modified)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("seed snapshots: %w", err)
	}
	return n, nil
}

// AddHistory appends history rows, numbering each change's rows in the
// order given.
func AddHistory(ctx context.Context, e Execer, rows []*HistoryRow) error {
	if len(rows) == 0 {
		return nil
	}
	n := len(rows)
	var (
		portals, entityIDs, changeIDs = make([]int64, n), make([]int64, n), make([]int64, n)
		entities, offsets             = make([]int32, n), make([]*int32, n)
		fields, itemKeys              = make([]string, n), make([]string, n)
		oldValues, newValues          = make([]*string, n), make([]*string, n)
		authors, reverts              = make([]*int64, n), make([]*int64, n)
		restoredFrom, bulks           = make([]*int64, n), make([]*int64, n)
		changedAt, restores           = make([]time.Time, n), make([]*time.Time, n)
		actions, kinds, sources, seqs = make([]int16, n), make([]int16, n), make([]int16, n), make([]int16, n)
	)
	next := map[int64]int{}
	for i, r := range rows {
		k := next[r.ChangeID]
		if k > math.MaxInt16 {
			return fmt.Errorf("add history: change %d has more than %d rows", r.ChangeID, math.MaxInt16+1)
		}
		r.Seq, next[r.ChangeID] = int16(k), k+1
		if err := r.compact(); err != nil {
			return fmt.Errorf("add history: %w", err)
		}
		portals[i], entities[i], entityIDs[i], changeIDs[i] = r.PortalID, int32(r.Entity), r.EntityID, r.ChangeID
		fields[i], itemKeys[i], authors[i], changedAt[i], offsets[i] = r.Field, r.ItemKey, r.AuthorID, r.ChangedAt, r.UTCOffset
		reverts[i], restores[i], restoredFrom[i], bulks[i] = r.RevertsChangeID, r.RestoresMoment, r.RestoredFrom, r.RevertsBulkID
		actions[i], kinds[i], sources[i], seqs[i] = int16(r.ActionCode), int16(r.KindCode), int16(r.SourceCode), r.Seq
		oldValues[i], newValues[i] = nullEmpty(r.OldStored), nullEmpty(r.NewStored)
	}
	_, err := e.Exec(ctx, `INSERT INTO history (portal_id, entity, entity_id, change_id, field, item_key, author_id, changed_at,
			utc_offset, reverts_change_id, restores_moment, restored_from, reverts_bulk_id, action, change_kind, source, seq, old_value, new_value)
		SELECT * FROM unnest($1::bigint[], $2::integer[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::timestamptz[],
			$9::integer[], $10::bigint[], $11::timestamptz[], $12::bigint[], $13::bigint[], $14::smallint[], $15::smallint[], $16::smallint[],
			$17::smallint[], $18::text[], $19::text[])`,
		portals, entities, entityIDs, changeIDs, fields, itemKeys, authors, changedAt,
		offsets, reverts, restores, restoredFrom, bulks, actions, kinds, sources, seqs, oldValues, newValues)
	if err != nil {
		return fmt.Errorf("add history: %w", err)
	}
	return nil
}

// nullEmpty is s, or NULL for the empty string (a value the row has not).
func nullEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// NameDeleter sets the author of a record's latest deletion if it has
// none: a deleter the portal vouched for (the offline queue's user_id) can
// arrive after the deletion was recorded from an online event.
func NameDeleter(ctx context.Context, e Execer, portalID int64, entity crm.Type, id, author int64) error {
	_, err := e.Exec(ctx, `UPDATE history SET author_id = $1
		WHERE portal_id = $2 AND entity = $3 AND entity_id = $4 AND action = $5 AND author_id IS NULL
		AND change_id = (SELECT max(change_id) FROM history
			WHERE portal_id = $2 AND entity = $3 AND entity_id = $4 AND action = $5)`,
		author, portalID, int32(entity), id, int16(CodeDeleted))
	if err != nil {
		return fmt.Errorf("name deleter: %w", err)
	}
	return nil
}

// SyncState is the progress of a baseline sync (and the reconciliation
// watermark) of one entity of one portal.
type SyncState struct {
	bun.BaseModel `bun:"table:sync_state"`

	PortalID int64     `bun:"portal_id,pk"`
	Entity   crm.Type  `bun:"entity,pk"`
	State    SyncPhase `bun:"state"`
	Total    int64     `bun:"total"`
	Done     int64     `bun:"done"`
	LastID   int64     `bun:"last_id"`
	// Ranges is the progress of a listing of several ID ranges at once:
	// pairs of the last ID stored in a range and the range's last ID (0:
	// open-ended). Empty when one range is listed in order from LastID.
	Ranges       []int64    `bun:"ranges,array"`
	Error        string     `bun:"error"`
	StartedAt    *time.Time `bun:"started_at"`
	FinishedAt   *time.Time `bun:"finished_at"`
	Watermark    *time.Time `bun:"watermark"`
	ReconciledAt *time.Time `bun:"reconciled_at"`
}

// SyncPhase is where a baseline sync stands.
type SyncPhase string

// Sync phases: pending until its job starts, running while it copies
// (across snoozes), then done. The table also allows failed, which Trail
// does not write; a sync finds it finished, like done, and starts over.
const (
	SyncPending SyncPhase = "pending"
	SyncRunning SyncPhase = "running"
	SyncDone    SyncPhase = "done"
	SyncFailed  SyncPhase = "failed"
)

// Finished reports whether the sync came to an end (done or failed).
func (p SyncPhase) Finished() bool { return p == SyncDone || p == SyncFailed }

// LoadSyncState returns the entity's sync state, creating a pending one.
func LoadSyncState(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type) (*SyncState, error) {
	if _, err := q.NewRaw("INSERT INTO sync_state (portal_id, entity) VALUES (?, ?) ON CONFLICT DO NOTHING", portalID, entity).Exec(ctx); err != nil {
		return nil, fmt.Errorf("create sync state: %w", err)
	}
	s := &SyncState{}
	if err := q.NewSelect().Model(s).Where("portal_id = ?", portalID).Where("entity = ?", entity).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load sync state: %w", err)
	}
	return s, nil
}

// SaveSyncState stores progress.
func SaveSyncState(ctx context.Context, q bun.IDB, s *SyncState) error {
	_, err := q.NewUpdate().Model(s).WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("save sync state: %w", err)
	}
	return nil
}

// SyncStates returns every entity's progress for a portal.
func SyncStates(ctx context.Context, q bun.IDB, portalID int64) ([]SyncState, error) {
	var out []SyncState
	err := q.NewSelect().Model(&out).Where("portal_id = ?", portalID).OrderExpr("entity").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("sync states: %w", err)
	}
	return out, nil
}

// SnapshotsRead returns the stored data of records, without locking.
func SnapshotsRead(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, ids []int64) (map[int64]json.RawMessage, error) {
	var rows []Snapshot
	err := q.NewSelect().Model(&rows).Column("entity_id", "data").
		Where("portal_id = ?", portalID).Where("entity = ?", entity).Where("entity_id IN (?)", bun.List(ids)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read snapshots: %w", err)
	}
	out := make(map[int64]json.RawMessage, len(rows))
	for _, r := range rows {
		out[r.EntityID] = r.Data
	}
	return out, nil
}

// SnapshotOf returns one record's snapshot, or ErrNotFound.
func SnapshotOf(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, id int64) (*Snapshot, error) {
	s := &Snapshot{}
	err := q.NewSelect().Model(s).Where("portal_id = ?", portalID).Where("entity = ?", entity).Where("entity_id = ?", id).Scan(ctx)
	if err != nil {
		return nil, notFound(err)
	}
	return s, nil
}

// HistoryFilter narrows a record's history.
type HistoryFilter struct {
	Field    string
	AuthorID int64
	From, To time.Time // To is exclusive
}

// HistoryCursor points after the last change of a page (changes are listed
// newest first).
type HistoryCursor struct {
	At       time.Time
	ChangeID int64
}

// RecordHistory returns the rows of up to limit changes of one record,
// newest first, after cursor (nil for the first page). Whole changes only:
// a page never splits one change's fields.
//
// All rows of a change share changed_at, so (changed_at, change_id) names a
// change, and both queries walk history_record_idx in its order: the page
// reads the newest index entries until it has limit changes (it does not
// group the record's whole history, which may be tens of thousands of
// rows), and the rows are then fetched change by change through the index.
func RecordHistory(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, id int64, f HistoryFilter, after *HistoryCursor, limit int) ([]HistoryRow, error) {
	sel := q.NewSelect().Model((*HistoryRow)(nil)).DistinctOn("changed_at, change_id").
		ColumnExpr("changed_at AS at").Column("change_id").
		Where("portal_id = ?", portalID).Where("entity = ?", entity).Where("entity_id = ?", id).
		OrderExpr("changed_at DESC, change_id DESC").Limit(int64(limit))
	if f.Field != "" {
		sel = sel.Where("field = ?", f.Field)
	}
	if f.AuthorID != 0 {
		sel = sel.Where("author_id = ?", f.AuthorID)
	}
	if !f.From.IsZero() {
		sel = sel.Where("changed_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		sel = sel.Where("changed_at < ?", f.To)
	}
	if after != nil {
		sel = sel.Where("(changed_at, change_id) < (?, ?)", after.At, after.ChangeID)
	}
	var rows []HistoryRow
	err := q.NewSelect().Model(&rows).
		With("page", sel).
		Join("JOIN page ON page.at = history_row.changed_at AND page.change_id = history_row.change_id").
		Where("history_row.portal_id = ?", portalID).Where("history_row.entity = ?", entity).Where("history_row.entity_id = ?", id).
		Apply(func(s *bun.SelectQuery) *bun.SelectQuery {
			if f.Field != "" {
				return s.Where("history_row.field = ?", f.Field)
			}
			return s
		}).
		OrderExpr("page.at DESC, history_row.change_id DESC, history_row.field, history_row.seq").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("record history: %w", err)
	}
	return rows, nil
}

// HistoryFields lists the fields that changed in a record's history.
func HistoryFields(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, id int64) ([]string, error) {
	var out []string
	err := q.NewRaw(`SELECT DISTINCT field FROM history WHERE portal_id = ? AND entity = ? AND entity_id = ? AND field <> '' ORDER BY field`,
		portalID, entity, id).Scan(ctx, &out)
	return out, err
}

// HistoryAuthors lists who changed a record.
func HistoryAuthors(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, id int64) ([]int64, error) {
	var out []int64
	err := q.NewRaw(`SELECT DISTINCT author_id FROM history WHERE portal_id = ? AND entity = ? AND entity_id = ? AND author_id IS NOT NULL ORDER BY author_id`,
		portalID, entity, id).Scan(ctx, &out)
	return out, err
}

// FieldHistory returns a record's rows of the given fields, oldest first.
func FieldHistory(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, id int64, fields []string) ([]HistoryRow, error) {
	var rows []HistoryRow
	err := q.NewSelect().Model(&rows).
		Where("portal_id = ?", portalID).Where("entity = ?", entity).Where("entity_id = ?", id).
		Where("field IN (?)", bun.List(fields)).
		OrderExpr("changed_at, change_id, seq").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("field history: %w", err)
	}
	return rows, nil
}

// RecordSteps returns every history row of one record in the order the
// changes were recorded, newest first (see history.StateAt).
func RecordSteps(ctx context.Context, q bun.IDB, portalID int64, entity crm.Type, id int64) ([]HistoryRow, error) {
	var rows []HistoryRow
	err := q.NewSelect().Model(&rows).
		Where("portal_id = ?", portalID).Where("entity = ?", entity).Where("entity_id = ?", id).
		OrderExpr("change_id DESC, seq").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("record steps: %w", err)
	}
	return rows, nil
}
