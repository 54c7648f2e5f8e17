package jobs

import (
	"maps"
	"strconv"
	"time"

	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// facts are what deciding about a record needs besides the record: who the
// portal is, what its admin tracks, its field metadata, and Trail's clock.
type facts struct {
	portalID int64
	auth     db.AuthMode
	set      *db.Settings    // as of the transaction that writes the decision
	schema   *history.Schema // nil: values are compared by shape
	now      time.Time       // Trail's clock, UTC
	// since is when the baseline of each type began (watchedSince).
	since map[crm.Type]time.Time
}

// verdict is what one record's fetched state calls for.
type verdict struct {
	rows     []*db.HistoryRow // one change's rows, ChangeID unset; nil: no history
	snapshot *db.Snapshot     // the state to store; nil: leave the stored one
	// nameDeleter: the deletion was recorded before the offline queue said
	// who deleted the record; the recorded one gets its author.
	nameDeleter bool
}

// decide is what a record's fetched state means against its stored
// snapshot (nil when Trail never stored one): created, updated, deleted or
// nothing, the history rows that say so, and the snapshot to store. It
// reads nothing and writes nothing.
func decide(f facts, p *pending, stored *db.Snapshot) verdict {
	if !p.counts(f.set) {
		return verdict{}
	}
	var v verdict
	if p.gone && p.deletion.by != nil && stored != nil && stored.DeletedAt != nil {
		v.nameDeleter = true
	}
	var (
		e      history.Entry
		ok     bool
		offset *int32
	)
	if p.gone {
		e, v.snapshot, offset, ok = deleted(f, p, stored)
	} else {
		e, v.snapshot, offset, ok = changed(f, p, stored)
	}
	if !ok {
		return v
	}
	e.Changes = tracked(f.set, p.entity, e.Changes)
	if e.Action == history.Updated && len(e.Changes) == 0 {
		return v // nothing tracked changed: the new snapshot only
	}
	v.rows = historyRows(f, p, e, offset)
	return v
}

// counts reports whether a record's rows make history: its type was
// tracked both when it was fetched and now. Otherwise its rows are
// consumed without any.
func (p *pending) counts(set *db.Settings) bool { return p.fetched && set.Tracks(p.entity) }

// deleted decides about a record the portal no longer returns. Only a
// record Trail knew and had not yet seen deleted gets a deletion; its
// snapshot is kept, marked deleted.
func deleted(f facts, p *pending, stored *db.Snapshot) (history.Entry, *db.Snapshot, *int32, bool) {
	if stored == nil || stored.DeletedAt != nil {
		return history.Entry{}, nil, nil, false
	}
	old, err := history.ParseSnapshot(stored.Data)
	if err != nil {
		old = history.Snapshot{}
	}
	e := history.NewDeletion(f.schema, old)
	e.At = deletedAt(p.deletion, f.now)
	if p.deletion.by != nil {
		e.Author = strconv.FormatInt(*p.deletion.by, 10)
	}
	next := *stored
	now := f.now
	next.DeletedAt = &now
	return e, &next, offsetOf(old), true
}

// changed decides about a record the portal returned: the state becomes
// the snapshot; against the stored one it is an update, against none a
// creation if the inbox said so, or else only the baseline.
func changed(f facts, p *pending, stored *db.Snapshot) (history.Entry, *db.Snapshot, *int32, bool) {
	data, err := p.state.Encode()
	if err != nil {
		return history.Entry{}, nil, nil, false
	}
	next := &db.Snapshot{PortalID: f.portalID, Entity: p.entity, EntityID: p.id, Data: data, Format: int16(history.FormatFull)}
	if t, ok := history.When(p.state); ok {
		next.ModifiedAt = &t
	}
	offset := offsetOf(p.state)
	// A snapshot marked deleted whose record the portal still returns
	// (restored, or marked by an unconfirmed delete event of an earlier
	// release) still holds the last state Trail knew: compare with it.
	if stored == nil {
		if p.kind == db.InboxAdd || createdSince(p.state, f.since[p.entity]) {
			return history.NewCreation(f.schema, p.state), next, offset, true
		}
		// Changed before Trail knew it: its earlier values are unknown, so
		// this state only becomes the baseline ("tracking since").
		return history.Entry{}, next, offset, false
	}
	old, err := history.ParseSnapshot(stored.Data)
	if err != nil {
		old = history.Snapshot{}
	}
	// A field the stored state lacks is one it did not know (see
	// history.Upgrade for snapshots stored before empty fields were kept):
	// Diff reports it with the old value unknown.
	old = history.Upgrade(f.schema, history.Format(stored.Format), old)
	e := history.NewUpdate(f.schema, firstRead(p, old), p.state)
	next.Learned = learned(stored.Learned, old, p.state, changedAt(f, p, e))
	return e, next, offset, true
}

// learned adds to what a record's stored state learned when (see
// db.Snapshot.Learned) the fields cur holds and old did not, learned at.
func learned(known map[string]time.Time, old, cur history.Snapshot, at time.Time) map[string]time.Time {
	out := maps.Clone(known)
	for name := range cur {
		if _, ok := old[name]; ok || history.IsSystemField(name) {
			continue
		}
		if out == nil {
			out = map[string]time.Time{}
		}
		out[name] = at
	}
	return out
}

// changedAt is the moment an entry's rows carry: the record's own time,
// else when Trail heard of the change, else now.
func changedAt(f facts, p *pending, e history.Entry) time.Time {
	switch {
	case !e.At.IsZero():
		return e.At.UTC()
	case !p.heard.IsZero():
		return p.heard.UTC()
	}
	return f.now.UTC()
}

// deletedAt is when a confirmed deletion is recorded as having happened:
// when Trail first received a delete event of the record, or else now,
// when Trail found it gone. Never the event's own ts, which the sender
// chooses.
func deletedAt(del deletion, now time.Time) time.Time {
	if del.heard.IsZero() || del.heard.After(now) {
		return now
	}
	return del.heard
}

// tracked drops changes of fields the admin chose not to track.
func tracked(set *db.Settings, entity crm.Type, cs []history.Change) []history.Change {
	out := cs[:0]
	for _, c := range cs {
		if !set.Ignores(entity, c.Field) {
			out = append(out, c)
		}
	}
	return out
}

// historyRows are an entry's rows: one per change, or one bare row for a
// creation or deletion with no values, so that it still shows.
func historyRows(f facts, p *pending, e history.Entry, offset *int32) []*db.HistoryRow {
	at := changedAt(f, p, e)
	var author *int64
	if n, err := strconv.ParseInt(e.Author, 10, 64); err == nil && n > 0 {
		author = &n
	}
	o := p.origin
	if !f.auth.NamesUser() && o.Delivery == history.DeliveryEvent {
		o.Delivery = history.DeliveryUnknown // see AuthMode.NamesUser
	}
	base := db.HistoryRow{
		PortalID: f.portalID, Entity: p.entity, EntityID: p.id, Action: e.Action.String(),
		AuthorID: author, ChangedAt: at, UTCOffset: offset, Source: history.ClassifySource(o).String(),
	}
	if len(e.Changes) == 0 {
		r := base
		return []*db.HistoryRow{&r}
	}
	rows := make([]*db.HistoryRow, 0, len(e.Changes))
	for _, c := range e.Changes {
		r := base
		r.Field, r.ChangeKind = c.Field, c.Kind.String()
		r.ItemKey = c.Old.ID + c.New.ID
		r.OldValue, r.NewValue = c.Old.Stored(), c.New.Stored()
		rows = append(rows, &r)
	}
	return rows
}

// offsetOf is the UTC offset the portal wrote s's time with, nil if none.
func offsetOf(s history.Snapshot) *int32 {
	if off, ok := history.Offset(s); ok {
		return &off
	}
	return nil
}
