package revert

import (
	"context"
	"errors"
	"fmt"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// ErrRecreated: the deleted record was brought back already (or is being);
// the error names the restore, whose RecreatedID is the new record.
type ErrRecreated struct{ Restore *db.Revert }

func (e *ErrRecreated) Error() string { return "revert: the deleted record was restored already" }

// PreviewRecreate stores what bringing a deleted record back would write:
// its last state's fields, those Bitrix24 will not take on add and links
// to records that are gone (asked of the portal with the actor's token)
// listed with the reason.
func (s *Service) PreviewRecreate(ctx context.Context, a Actor, t crm.Type, id int64) (*db.Revert, error) {
	if !Recreatable(t) {
		return nil, ErrType
	}
	d, schema, last, err := s.deleted(ctx, a, t, id)
	if err != nil {
		return nil, err
	}
	gone, err := s.goneLinks(ctx, a, Links(schema, t, last))
	if err != nil {
		return nil, err
	}
	r := &db.Revert{PortalID: a.In.ID, Key: newKey(), UserID: a.UserID, Entity: t, EntityID: id, ChangeID: d.ChangeID,
		Recreate: true, Fields: PlanRecreate(schema, t, last, gone)}
	return r, db.AddRevert(ctx, s.DB.Bun, r)
}

// SubmitRecreate brings the deleted record of a preview back, once: the
// portal creates a new record with the actor's token (so Bitrix24's add
// rights decide), then links it and sets its product rows; what depends
// on the type is recreateCalls'. A second
// submit of the preview creates nothing and returns the first one's
// outcome; a record another restore brought back gives *ErrRecreated.
func (s *Service) SubmitRecreate(ctx context.Context, a Actor, t crm.Type, id int64, key string) (*db.Revert, error) {
	r, err := db.RevertByKey(ctx, s.DB.Bun, a.In.ID, key)
	if errors.Is(err, db.ErrNotFound) || err == nil && (!r.Recreate || r.UserID != a.UserID || r.Entity != t || r.EntityID != id) {
		return nil, ErrNoChange
	}
	if err != nil || r.State != db.RevertPreviewed {
		return r, err
	}
	_, schema, last, err := s.deleted(ctx, a, t, id)
	// A submit of the same preview may have restored the record since the
	// key was read: its outcome is this one's.
	if done := (*ErrRecreated)(nil); errors.As(err, &done) && done.Restore.ID == r.ID {
		return db.RevertByKey(ctx, s.DB.Bun, a.In.ID, key)
	}
	if err != nil {
		return nil, err
	}
	// Links are asked again: a record may have gone since the preview.
	gone, err := s.goneLinks(ctx, a, Links(schema, t, last))
	if err != nil {
		return nil, err
	}
	claimed, err := db.ClaimRecreate(ctx, s.DB.Bun, a.In.ID, a.UserID, key)
	switch {
	case errors.Is(err, db.ErrRecreated):
		return nil, s.recreated(ctx, a, t, id)
	case err != nil:
		return nil, err
	case !claimed:
		return db.RevertByKey(ctx, s.DB.Bun, a.In.ID, key)
	}
	r.Fields = PlanRecreate(schema, t, last, gone)
	at := map[string]int{}
	for i, f := range r.Fields {
		if f.Writable {
			at[f.Field] = i
		} else {
			r.Fields[i].Outcome = db.OutcomeSkipped
		}
	}
	outcome := func(c call, err error) {
		o, reason := db.OutcomeWritten, ""
		if err != nil {
			var refused *refusal
			if !errors.As(portalError(err), &refused) {
				refused = &refusal{reason: err.Error()}
			}
			o, reason = db.OutcomeRefused, refused.reason
		}
		for _, name := range c.fields {
			r.Fields[at[name]].Outcome, r.Fields[at[name]].Reason = o, reason
		}
	}
	c := s.Clients.ForUser(a.In, a.Token, wait)
	rc := recreateCalls(schema, t, r.Fields)
	add := rc.add
	resp, err := c.Call(ctx, add.method, add.params)
	newRecord, ok := int64(0), false
	if err == nil {
		if newRecord, ok = rc.id(resp.Result); !ok {
			err = fmt.Errorf("%s answered %s instead of an id", add.method, resp.Result)
		}
	}
	if !ok {
		// Nothing was created: every field shares the add's refusal.
		for name := range at {
			add.fields = append(add.fields, name)
		}
		outcome(add, err)
		return r, s.finish(ctx, r)
	}
	outcome(add, nil)
	if err := db.Recreated(ctx, s.DB, a.In.ID, r.ID, t, id, newRecord); err != nil {
		return nil, err
	}
	r.RecreatedID = &newRecord
	for _, w := range rc.then(newRecord) {
		_, err := c.Call(ctx, w.method, w.params)
		outcome(w, err)
	}
	return r, s.finish(ctx, r)
}

func (s *Service) finish(ctx context.Context, r *db.Revert) error {
	if err := db.FinishRevert(ctx, s.DB.Bun, r.PortalID, r.ID, r.Fields); err != nil {
		return err
	}
	r.State = db.RevertDone
	return nil
}

// recreated is the error for a deleted record another restore brought
// back.
func (s *Service) recreated(ctx context.Context, a Actor, t crm.Type, id int64) error {
	prior, err := db.RecreateOf(ctx, s.DB.Bun, a.In.ID, t, id)
	if err != nil {
		return err
	}
	return &ErrRecreated{Restore: prior}
}

// deleted is a deleted record Trail holds: its deletion, its type's
// schema and its last state. One a restore brought back already gives
// *ErrRecreated.
func (s *Service) deleted(ctx context.Context, a Actor, t crm.Type, id int64) (*db.DeletedRecord, *history.Schema, history.Snapshot, error) {
	d, err := db.DeletedOne(ctx, s.DB.Bun, a.In.ID, t, id)
	if errors.Is(err, db.ErrNotFound) {
		return nil, nil, nil, ErrNoChange
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if d.RecreatedID != nil {
		return nil, nil, nil, s.recreated(ctx, a, t, id)
	}
	schema, err := s.schema(ctx, a.In.ID, t)
	if err != nil {
		return nil, nil, nil, err
	}
	last, err := history.ParseSnapshot(d.Data)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("deleted %s %d: %w", t, id, err)
	}
	return d, schema, history.Upgrade(schema, history.Format(d.Format), last), nil
}

// goneLinks asks the portal, with the actor's token, which of links no
// longer exist (or are not the actor's to read): one get each, in one
// batch that does not stop at a failure.
func (s *Service) goneLinks(ctx context.Context, a Actor, links []Link) ([]Link, error) {
	if len(links) == 0 {
		return nil, nil
	}
	var b b24.Batch
	for i, l := range links {
		if l.Type.Legacy() {
			b.Add(fmt.Sprint("l", i), l.Type.Method("get"), b24.Params{"id": l.ID})
		} else {
			b.Add(fmt.Sprint("l", i), "crm.item.get", b24.Params{"entityTypeId": int(l.Type), "id": l.ID})
		}
	}
	res, err := s.Clients.ForUser(a.In, a.Token, wait).Batch(ctx, &b)
	if err != nil {
		return nil, portalError(err)
	}
	var gone []Link
	for i, l := range links {
		_, err := res.Result(fmt.Sprint("l", i))
		var refused *refusal
		switch {
		case err == nil:
		case errors.As(portalError(err), &refused):
			gone = append(gone, l)
		default:
			return nil, portalError(err)
		}
	}
	return gone, nil
}
