package revert

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// Fields the legacy get leaves out, read as the drain reads them so that
// their values compare with the stored ones: the product rows and the
// linked records.
const (
	contactIDs = "CONTACT_IDS"
	companyIDs = "COMPANY_IDS"
)

// linkField is the list of records linked to t's records several at a
// time, with the binding methods' prefix (crm.deal.contact: items.get
// reads it, items.set writes it) and the key of an item's id.
// https://apidocs.bitrix24.com/api-reference/crm/deals/contacts/index.html
func linkField(t crm.Type) (field, methods, key string) {
	switch t {
	case crm.Deal, crm.Lead, crm.Company:
		return contactIDs, "crm." + t.String() + ".contact", "CONTACT_ID"
	case crm.Contact:
		return companyIDs, "crm.contact.company", "COMPANY_ID"
	}
	return "", "", ""
}

// read is the record as the portal shows it to the actor now, with its
// product rows and links, in one batch, in the form Trail stores it: an
// estimate, a smart invoice or a smart-process item read through
// crm.item.get and mapped to it with the type's schema, as the drain reads
// them (its links are fields of the item).
func (s *Service) read(ctx context.Context, a Actor, schema *history.Schema, t crm.Type, id int64) (history.Snapshot, error) {
	found, err := db.FoundTypes(ctx, s.DB.Bun, a.In.ID)
	if err != nil {
		return nil, err
	}
	hasRows := db.HasProductRows(found, t)
	c := s.Clients.ForUser(a.In, a.Token, wait)
	var b b24.Batch
	if t.Legacy() {
		b.Add("get", t.Method("get"), b24.Params{"id": id})
	} else {
		b.Add("get", "crm.item.get", b24.Params{"entityTypeId": int(t), "id": id, "useOriginalUfNames": "Y"})
	}
	field, methods, key := linkField(t)
	if field != "" {
		b.Add("links", methods+".items.get", b24.Params{"id": id})
	}
	rowParams := b24.Params{"filter": b24.Params{"=ownerType": t.Short(), "=ownerId": id}, "order": b24.Params{"id": "ASC"}}
	if hasRows {
		b.Add("rows", "crm.item.productrow.list", rowParams)
	}
	res, err := c.Batch(ctx, &b)
	if err != nil {
		return nil, portalError(err)
	}
	raw, err := res.Result("get")
	if err != nil {
		return nil, portalError(err)
	}
	snap, err := parseRecord(t, schema, raw)
	if err != nil {
		return nil, fmt.Errorf("read %s %d: %w", t, id, err)
	}
	if field != "" {
		raw, err := res.Result("links")
		if err != nil {
			return nil, portalError(err)
		}
		if snap[field], err = linkIDs(raw, key); err != nil {
			return nil, err
		}
	}
	if hasRows {
		raw, err := res.Result("rows")
		if err != nil {
			return nil, portalError(err)
		}
		pages := []json.RawMessage{raw}
		for next := res.Next("rows"); next > 0; {
			rowParams["start"] = next
			resp, err := c.Call(ctx, "crm.item.productrow.list", rowParams)
			if err != nil {
				return nil, portalError(err)
			}
			pages, next = append(pages, resp.Result), resp.Next
		}
		if snap[history.ProductRows], err = history.RowsValue(pages...); err != nil {
			return nil, err
		}
	}
	return snap, nil
}

// parseRecord reads the answer of the record's get.
func parseRecord(t crm.Type, schema *history.Schema, raw json.RawMessage) (history.Snapshot, error) {
	if t.Legacy() {
		return history.ParseSnapshot(raw)
	}
	return history.GotItemSnapshot(schema, raw)
}

// linkIDs is the list of linked records' ids of an items.get answer.
func linkIDs(raw json.RawMessage, key string) (json.RawMessage, error) {
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, fmt.Errorf("links: %w", err)
	}
	ids := make([]json.RawMessage, 0, len(items))
	for _, it := range items {
		if id, ok := it[key]; ok {
			ids = append(ids, id)
		}
	}
	return json.Marshal(ids)
}
