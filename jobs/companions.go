package jobs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// A companion is a read that completes a record's state with what its get
// leaves out: its product rows, and the records linked to it several at a
// time. Each fills one snapshot field, so changes to them are diffed,
// stored and shown like any field's.
type companion struct {
	field  string
	method string
	params func(t crm.Type, id int64) b24.Params
	// value turns the answer's pages into the field's value.
	value func(pages []json.RawMessage) (json.RawMessage, error)
	paged bool // the answer comes in pages of 50 (a list method)
}

// companions are the companion reads of a type's records: product rows for
// the types that have them (rows), and the link lists the binding methods
// read for the legacy types
// (https://apidocs.bitrix24.com/api-reference/crm/deals/contacts/crm-deal-contact-items-get.html).
// The other types' links are fields of their items (contactIds,
// parentId{N}), read with them.
func companions(t crm.Type, rows bool) []companion {
	var out []companion
	if rows {
		out = append(out, companion{field: history.ProductRows, method: "crm.item.productrow.list", paged: true,
			params: func(t crm.Type, id int64) b24.Params {
				return b24.Params{"filter": b24.Params{"=ownerType": t.Short(), "=ownerId": id}, "order": b24.Params{"id": "ASC"}}
			},
			value: func(pages []json.RawMessage) (json.RawMessage, error) { return history.RowsValue(pages...) }})
	}
	switch t {
	case crm.Deal, crm.Lead, crm.Company:
		out = append(out, links(t, "contact", "CONTACT_ID", "CONTACT_IDS"))
	case crm.Contact:
		out = append(out, links(t, "company", "COMPANY_ID", "COMPANY_IDS"))
	}
	return out
}

// links reads the records of kind target linked to a record of t
// (crm.deal.contact.items.get) into field, as a list of their ids.
func links(t crm.Type, target, key, field string) companion {
	return companion{field: field, method: "crm." + t.String() + "." + target + ".items.get",
		params: func(_ crm.Type, id int64) b24.Params { return b24.Params{"id": id} },
		value: func(pages []json.RawMessage) (json.RawMessage, error) {
			var items []map[string]json.RawMessage
			if err := json.Unmarshal(pages[0], &items); err != nil {
				return nil, fmt.Errorf("%s: %w", field, err)
			}
			ids := make([]json.RawMessage, 0, len(items))
			for _, it := range items {
				if id, ok := it[key]; ok {
					ids = append(ids, id)
				}
			}
			return json.Marshal(ids)
		}}
}

// companionReads are the companion commands of one fetch, added to the
// batch that gets the records.
type companionReads struct {
	found []db.FoundType // the portal's types: which smart processes have rows
	// listed: the links crm.item.list gives (listedLinks) are read that
	// way, 50 records a command, instead of one command each.
	listed bool
	reads  []companionRead
}

type companionRead struct {
	name  string
	c     companion
	p     *pending
	pages []json.RawMessage
}

// add puts the companion reads of p into b beside its get.
func (cr *companionReads) add(b *b24.Batch, p *pending) {
	for i, c := range companions(p.entity, db.HasProductRows(cr.found, p.entity)) {
		if cr.listed && c.field == listedLinks(p.entity) {
			continue
		}
		name := fmt.Sprintf("%s_%d_c%d", p.entity, p.id, i)
		b.Add(name, c.method, c.params(p.entity, p.id))
		cr.reads = append(cr.reads, companionRead{name: name, c: c, p: p})
	}
}

// complete takes the companions' answers from res, reads the further pages
// of rows beyond the first 50, and puts the fields into the records'
// states. A record whose companion failed gets the failure, so its inbox
// rows wait for a later round instead of its state being stored without
// them.
func (cr *companionReads) complete(ctx context.Context, c *b24.Client, res *b24.BatchResult, opts ...b24.CallOption) error {
	more := map[int]int{} // index in reads -> next offset
	for i := range cr.reads {
		r := &cr.reads[i]
		raw, err := res.Result(r.name)
		if r.failed(err) {
			continue
		}
		r.pages = append(r.pages, raw)
		if next := res.Next(r.name); r.c.paged && next > 0 {
			more[i] = next
		}
	}
	for len(more) > 0 {
		var b b24.Batch
		for i, next := range more {
			r := &cr.reads[i]
			params := r.c.params(r.p.entity, r.p.id)
			params["start"] = next
			b.Add(r.name, r.c.method, params)
		}
		res, err := c.Batch(ctx, &b, opts...)
		if err != nil {
			return err
		}
		for i := range more {
			r := &cr.reads[i]
			raw, err := res.Result(r.name)
			delete(more, i)
			if r.failed(err) {
				continue
			}
			r.pages = append(r.pages, raw)
			if next := res.Next(r.name); next > 0 {
				more[i] = next
			}
		}
	}
	for _, r := range cr.reads {
		if r.p.state == nil || r.p.err != nil {
			continue
		}
		v, err := r.c.value(r.pages)
		if err != nil {
			r.p.err = fmt.Errorf("%s %d: %w", r.p.entity, r.p.id, err)
			continue
		}
		r.p.state[r.c.field] = v
	}
	return nil
}

// failed records a companion's error on its record, unless the record is
// gone (its get said so, and the companion's failure follows from it).
func (r *companionRead) failed(err error) bool {
	if err == nil {
		return false
	}
	if !r.p.gone && r.p.err == nil {
		r.p.err = fmt.Errorf("%s %d: %s: %w", r.p.entity, r.p.id, r.c.method, err)
	}
	return true
}

// completeStates reads the links of a baseline's chunk of records that
// crm.item.list gives 50 records a command (states[i] is the state of
// chunk[i]) and encodes the states into the snapshots. What takes a command
// per record (baselineExtras) is left out: the extras phase reads it later
// (see ExtrasWorker), so the field baseline goes at the listing's speed.
func completeStates(ctx context.Context, c *b24.Client, t crm.Type, chunk []*db.Snapshot, states []history.Snapshot) error {
	recs := make([]pending, len(chunk))
	for i, s := range chunk {
		recs[i] = pending{entity: t, id: s.EntityID, state: states[i]}
	}
	if field := listedLinks(t); field != "" {
		var b b24.Batch
		for i := 0; i < len(recs); i += 50 {
			b.Add(fmt.Sprintf("links_%d", i), "crm.item.list", linksOf(t, recs[i:min(i+50, len(recs))]))
		}
		res, err := c.Batch(ctx, &b)
		if err != nil {
			return err
		}
		for i := 0; i < len(recs); i += 50 {
			raw, err := res.Result(fmt.Sprintf("links_%d", i))
			if err != nil {
				return fmt.Errorf("%s links: %w", t, err)
			}
			if err := putLinks(field, recs[i:min(i+50, len(recs))], raw); err != nil {
				return err
			}
		}
	}
	for i, p := range recs {
		data, err := p.state.Encode()
		if err != nil {
			return err
		}
		chunk[i].Data = data
	}
	return nil
}

// baselineExtras are the companions of t's records that take a command per
// record (product rows; the links of contacts and companies): the reads a
// baseline leaves to its extras phase.
func baselineExtras(t crm.Type, rows bool) []companion {
	var out []companion
	for _, c := range companions(t, rows) {
		if c.field != listedLinks(t) {
			out = append(out, c)
		}
	}
	return out
}

// listedLinks is the link field of t's records that crm.item.list gives
// as contactIds (https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-list.html),
// "" when none: a baseline reads it 50 records a command instead of
// calling crm.deal.contact.items.get for each record.
func listedLinks(t crm.Type) string {
	if t == crm.Deal || t == crm.Lead {
		return "CONTACT_IDS"
	}
	return ""
}

// linksOf lists the contacts of recs (at most 50, one page).
func linksOf(t crm.Type, recs []pending) b24.Params {
	ids := make([]int64, len(recs))
	for i, p := range recs {
		ids[i] = p.id
	}
	return b24.Params{"entityTypeId": int(t), "select": []string{"id", "contactIds"},
		"filter": b24.Params{"@id": ids}, "order": b24.Params{"id": "ASC"}}
}

// putLinks puts the contactIds of linksOf's answer into the records'
// states as field, in the form the binding method's companion gives. A
// record the listing lacks was deleted since it was listed: its chunk
// waits for the next try, as when its own read fails.
func putLinks(field string, recs []pending, raw json.RawMessage) error {
	var ans struct {
		Items []struct {
			ID         int64             `json:"id"`
			ContactIDs []json.RawMessage `json:"contactIds"`
		} `json:"items"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	got := make(map[int64][]json.RawMessage, len(ans.Items))
	for _, it := range ans.Items {
		got[it.ID] = it.ContactIDs
	}
	for i := range recs {
		ids, ok := got[recs[i].id]
		if !ok {
			return fmt.Errorf("%s %d: not listed with its %s", recs[i].entity, recs[i].id, field)
		}
		if ids == nil {
			ids = []json.RawMessage{}
		}
		v, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		recs[i].state[field] = v
	}
	return nil
}
