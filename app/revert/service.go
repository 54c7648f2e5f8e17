package revert

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"slices"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/db"
)

// Errors the pages turn into answers.
var (
	// ErrNoChange: the record has no such change, or the revert no such key.
	ErrNoChange = errors.New("revert: no such change")
	// ErrType: records of this type are not written back.
	ErrType = errors.New("revert: this type is not written back")
	// ErrToken: the portal no longer takes the person's token; a new
	// session brings a fresh one.
	ErrToken = errors.New("revert: token not accepted")
)

// wait is how long a person's revert waits for the portal's rate limit.
const wait = 2 * time.Second

// Service previews and writes reverts.
type Service struct {
	DB      *db.DB
	Clients *portal.Clients
}

// Actor is who reverts: a user of an installation, with their own token.
type Actor struct {
	In     *db.Installation
	UserID int64
	Token  string
}

// Preview reads the record now, with the actor's token, and stores what
// reverting the change (or its one field) would do: per field the current
// value, the target, a conflict when the field changed again, and why a
// field cannot be written. A portal that refuses the actor the record is
// audited as a revert refused for every field, with the portal's reason.
func (s *Service) Preview(ctx context.Context, a Actor, t crm.Type, id, changeID int64, field string) (*db.Revert, error) {
	if !Supports(t) {
		return nil, ErrType
	}
	rows, err := db.ChangeRows(ctx, s.DB.Bun, a.In.ID, t, id, changeID)
	if err != nil {
		return nil, err
	}
	rows = onlyField(rows, field)
	if len(rows) == 0 || rows[0].Action != history.Updated.String() {
		return nil, ErrNoChange
	}
	schema, err := s.schema(ctx, a.In.ID, t)
	if err != nil {
		return nil, err
	}
	r := &db.Revert{PortalID: a.In.ID, Key: newKey(), UserID: a.UserID, Entity: t, EntityID: id, ChangeID: changeID, Field: field}
	return r, s.preview(ctx, a, r, schema, func(cur history.Snapshot) []Target { return FromChange(schema, rows, cur) })
}

// PreviewMoment is Preview for putting the whole record back as it was at
// a moment: targets are the record's state then (FromState). Fields that
// hold their target already are left out.
func (s *Service) PreviewMoment(ctx context.Context, a Actor, t crm.Type, id int64, at time.Time, targets []Target) (*db.Revert, error) {
	if !Supports(t) {
		return nil, ErrType
	}
	schema, err := s.schema(ctx, a.In.ID, t)
	if err != nil {
		return nil, err
	}
	r := &db.Revert{PortalID: a.In.ID, Key: newKey(), UserID: a.UserID, Entity: t, EntityID: id, Moment: &at}
	return r, s.preview(ctx, a, r, schema, func(cur history.Snapshot) []Target {
		return slices.DeleteFunc(targets, func(t Target) bool {
			return t.Want.Kind != history.KindUnknown && history.SameValue(history.Normalize(schema.Field(t.Field), cur[t.Field]), t.Want)
		})
	})
}

// preview reads the record now with the actor's token, plans the targets
// over it and stores the revert r. A portal that refuses the actor the
// record is audited as a revert refused for every field, with the
// portal's reason.
func (s *Service) preview(ctx context.Context, a Actor, r *db.Revert, schema *history.Schema, targets func(history.Snapshot) []Target) error {
	cur, err := s.read(ctx, a, schema, r.Entity, r.EntityID)
	var refused *refusal
	switch {
	case errors.As(err, &refused):
		for _, t := range targets(history.Snapshot{}) {
			if len(r.Fields) == 0 || r.Fields[len(r.Fields)-1].Field != t.Field {
				r.Fields = append(r.Fields, db.RevertField{Field: t.Field, Outcome: db.OutcomeRefused, Reason: refused.reason})
			}
		}
		if err := db.AddRevert(ctx, s.DB.Bun, r); err != nil {
			return err
		}
		r.State = db.RevertDone
		return db.FinishRevert(ctx, s.DB.Bun, r.PortalID, r.ID, r.Fields)
	case err != nil:
		return err
	}
	r.Fields = Plan(schema, cur, targets(cur))
	return db.AddRevert(ctx, s.DB.Bun, r)
}

// Plan lists what writing targets over the current state would do. A
// field is chosen by default when it can be written, differs from its
// target and did not change again since.
func Plan(s *history.Schema, current history.Snapshot, targets []Target) []db.RevertField {
	out := make([]db.RevertField, 0, len(targets))
	for _, t := range targets {
		f := s.Field(t.Field)
		cur := history.Normalize(f, current[t.Field])
		rf := db.RevertField{Field: t.Field, Current: cur.Stored(), Target: t.Want.Stored(), Conflict: t.Conflict}
		rf.Reason = unwritable(f, cur, t.Want)
		rf.Writable = rf.Reason == ""
		if rf.Writable && cur.Equal(t.Want) {
			rf.Reason = ReasonSame
		}
		rf.Chosen = rf.Writable && rf.Reason == "" && !t.Conflict
		out = append(out, rf)
	}
	return out
}

// Submit writes the chosen fields of a preview, once: the record is read
// again just before, and a field whose value moved since the preview is
// not written (conflict). Every field's outcome is stored. A second submit
// of the same preview writes nothing and returns the first one's outcome.
// The key must be the actor's preview of that change of that record.
func (s *Service) Submit(ctx context.Context, a Actor, t crm.Type, id, changeID int64, key string, chosen []string) (*db.Revert, error) {
	r, err := db.RevertByKey(ctx, s.DB.Bun, a.In.ID, key)
	if errors.Is(err, db.ErrNotFound) || err == nil && (r.UserID != a.UserID || r.Entity != t || r.EntityID != id || r.ChangeID != changeID) {
		return nil, ErrNoChange
	}
	if err != nil || r.State != db.RevertPreviewed {
		return r, err
	}
	schema, err := s.schema(ctx, a.In.ID, r.Entity)
	if err != nil {
		return nil, err
	}
	cur, readErr := s.read(ctx, a, schema, r.Entity, r.EntityID)
	if readErr != nil && !errors.As(readErr, new(*refusal)) {
		return nil, readErr
	}
	claimed, err := db.ClaimRevert(ctx, s.DB.Bun, a.In.ID, a.UserID, key)
	if err != nil || !claimed {
		if err == nil {
			r, err = db.RevertByKey(ctx, s.DB.Bun, a.In.ID, key)
		}
		return r, err
	}
	w := write{t: r.Entity, id: r.EntityID}
	at := map[string]int{}
	for i := range r.Fields {
		f := &r.Fields[i]
		field := schema.Field(f.Field)
		now := history.Normalize(field, cur[f.Field])
		switch {
		case !f.Writable:
			f.Outcome = db.OutcomeSkipped
		case !slices.Contains(chosen, f.Field):
			f.Outcome, f.Reason, f.Chosen = db.OutcomeSkipped, ReasonNotChosen, false
		case readErr != nil:
			f.Outcome, f.Reason = db.OutcomeRefused, readErr.(*refusal).reason
		case !now.Equal(decode(f.Current)):
			f.Outcome, f.Reason = db.OutcomeConflict, ReasonChanged
		case now.Equal(decode(f.Target)):
			f.Outcome, f.Reason = db.OutcomeSkipped, ReasonSame
		default:
			f.Chosen, f.Reason, f.Outcome = true, "", db.OutcomeWritten
			w.add(field, now, decode(f.Target))
			at[f.Field] = i
		}
	}
	calls := w.calls()
	if len(calls) > 0 {
		if err := db.StartRevert(ctx, s.DB.Bun, r.PortalID, r.ID, r.Fields); err != nil {
			return nil, err
		}
	}
	for _, c := range calls {
		outcome, reason := db.OutcomeWritten, ""
		if _, err := s.Clients.ForUser(a.In, a.Token, wait).Call(ctx, c.method, c.params); err != nil {
			var refused *refusal
			if !errors.As(portalError(err), &refused) {
				refused = &refusal{reason: err.Error()}
			}
			outcome, reason = db.OutcomeRefused, refused.reason
		}
		for _, name := range c.fields {
			// A field written in several calls (rows deleted one by one)
			// keeps the first refusal.
			if f := &r.Fields[at[name]]; f.Outcome != db.OutcomeRefused {
				f.Outcome, f.Reason = outcome, reason
			}
		}
	}
	if err := db.FinishRevert(ctx, s.DB.Bun, r.PortalID, r.ID, r.Fields); err != nil {
		return nil, err
	}
	r.State = db.RevertDone
	return r, nil
}

// refusal is the portal's answer to a call it refused: its reason, as
// Bitrix24 words it, is what the person reads.
type refusal struct{ reason string }

func (r *refusal) Error() string { return "refused: " + r.reason }

// portalError sorts a failed call: a dead token (the session must renew),
// the portal's refusal (its reason is shown), or Trail's own failure.
func portalError(err error) error {
	var be *b24.Error
	switch {
	case errors.Is(err, b24.ErrExpiredToken) || errors.Is(err, b24.ErrInvalidToken):
		return ErrToken
	case errors.Is(err, b24.ErrWouldWait):
		return err
	case errors.As(err, &be) && !be.Temporary() && (be.Status == 0 || be.Status >= 400 && be.Status < 500): // 0: a command of a batch
		reason := be.Description
		if reason == "" {
			reason = be.Code
		}
		return &refusal{reason: reason}
	}
	return err
}

func (s *Service) schema(ctx context.Context, portalID int64, t crm.Type) (*history.Schema, error) {
	raw, err := db.LoadMeta(ctx, s.DB.Bun, portalID, db.MetaFields(t))
	if err != nil || raw == nil {
		return nil, err
	}
	return history.ParseFields(raw)
}

// Supports reports whether t's records are written back: the four types
// with a legacy update, and estimates, smart invoices and smart processes
// through crm.item.update.
func Supports(t crm.Type) bool { return t.Named() }

func onlyField(rows []db.HistoryRow, field string) []db.HistoryRow {
	if field == "" {
		return rows
	}
	out := rows[:0:0]
	for _, r := range rows {
		if r.Field == field {
			out = append(out, r)
		}
	}
	return out
}

// newKey is a preview's idempotency key: unguessable, so a submit names
// only a preview its own page was shown.
func newKey() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
