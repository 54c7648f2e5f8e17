package revert

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// ReasonLinkGone: the linked record no longer exists in the portal, or the
// person may not read it; the restored record is not linked to it.
const ReasonLinkGone = "link_gone"

// Recreatable reports whether deleted records of t can be brought back:
// every type Trail writes back, the four with a legacy add and estimates,
// smart invoices and smart-process items through crm.item.add.
func Recreatable(t crm.Type) bool { return Supports(t) }

// linkTypes are the fields of a record that name other records, with the
// type of those records: a restored record is linked only to records that
// still exist. An item's parent links (PARENT_ID_2) name their type in
// the field (linkType).
var linkTypes = map[string]crm.Type{
	"COMPANY_ID":   crm.Company,
	"CONTACT_ID":   crm.Contact,
	"LEAD_ID":      crm.Lead,
	"DEAL_ID":      crm.Deal,
	"MYCOMPANY_ID": crm.Company,
	contactIDs:     crm.Contact,
	companyIDs:     crm.Company,
}

// linkType is the type of the records field name links to, if it links.
func linkType(name string) (crm.Type, bool) {
	if t, ok := linkTypes[name]; ok {
		return t, true
	}
	n, ok := strings.CutPrefix(name, "PARENT_ID_")
	if !ok {
		return 0, false
	}
	id, err := strconv.Atoi(n)
	t := crm.Type(id)
	return t, err == nil && t.Named()
}

// Link is one record a deleted record linked to.
type Link struct {
	Type crm.Type
	ID   int64
}

// Links lists the records a deleted record's last state links to, for
// the portal to say which still exist.
func Links(s *history.Schema, t crm.Type, last history.Snapshot) []Link {
	var out []Link
	for _, name := range recreateFields(t, last) {
		lt, ok := linkType(name)
		f := s.Field(name)
		if !ok || f.ReadOnly || history.IsSystemField(name) {
			continue // not written, so not asked about
		}
		for _, v := range elements(history.Normalize(f, last[name])) {
			if id, err := strconv.ParseInt(v.Text, 10, 64); err == nil && id > 0 && !slices.Contains(out, Link{lt, id}) {
				out = append(out, Link{lt, id})
			}
		}
	}
	return out
}

// recreateFields are the fields of last a new record gets, sorted: every
// field but the single contact of a record whose contacts are a list
// (CONTACT_IDS carries it), and a contact's company likewise; an item's
// deprecated first contact (contactId) follows its contactIds.
func recreateFields(t crm.Type, last history.Snapshot) []string {
	_, itemList := last[contactIDs]
	names := make([]string, 0, len(last))
	for name := range last {
		field, _, _ := linkField(t)
		if field == contactIDs && name == "CONTACT_ID" || field == companyIDs && name == "COMPANY_ID" ||
			!t.Legacy() && itemList && name == "CONTACT_ID" {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// PlanRecreate lists what a new record made from a deleted one's last
// state gets: per field with a value, the value, or why it is not written
// (system, read-only and file fields, links to records in gone). Fields
// set only when a record is created (isImmutable) are written: this is
// that moment. A list of links keeps the records that exist, and the gone
// ones are listed apart as skipped.
func PlanRecreate(s *history.Schema, t crm.Type, last history.Snapshot, gone []Link) []db.RevertField {
	var out []db.RevertField
	for _, name := range recreateFields(t, last) {
		f := s.Field(name)
		v := history.Normalize(f, last[name])
		if v.IsEmpty() || v.Kind == history.KindUnknown {
			continue
		}
		rf := db.RevertField{Field: name, Target: v.Stored(), Writable: true}
		switch {
		case history.IsSystemField(name):
			rf.Reason = ReasonSystem
		case f.ReadOnly && name != history.ProductRows:
			rf.Reason = ReasonReadOnly
		case f.Type == history.TypeFile:
			// Files leave the portal with the record that held them.
			rf.Reason = ReasonFileGone
		}
		if lt, ok := linkType(name); ok && rf.Reason == "" {
			kept, lost := splitLinks(v, lt, gone)
			if len(lost.List) > 0 || lost.Kind != history.KindList && !lost.IsEmpty() {
				out = append(out, db.RevertField{Field: name, Target: lost.Stored(), Reason: ReasonLinkGone})
			}
			if kept.IsEmpty() {
				continue
			}
			rf.Target = kept.Stored()
		}
		rf.Writable = rf.Reason == ""
		rf.Chosen = rf.Writable
		out = append(out, rf)
	}
	return out
}

// splitLinks parts a link value into the records that exist and those in
// gone.
func splitLinks(v history.Value, t crm.Type, gone []Link) (kept, lost history.Value) {
	isGone := func(e history.Value) bool {
		id, _ := strconv.ParseInt(e.Text, 10, 64)
		return slices.Contains(gone, Link{t, id})
	}
	if v.Kind != history.KindList {
		if isGone(v) {
			return history.Value{}, v
		}
		return v, history.Value{}
	}
	kept, lost = history.Value{Kind: history.KindList}, history.Value{Kind: history.KindList}
	for _, e := range v.List {
		if isGone(e) {
			lost.List = append(lost.List, e)
		} else {
			kept.List = append(kept.List, e)
		}
	}
	if len(kept.List) == 0 {
		kept = history.Value{}
	}
	if len(lost.List) == 0 {
		lost = history.Value{}
	}
	return kept, lost
}

// recreation is the part of bringing a record back that depends on its
// type: the add with the fields it writes, the calls that follow once the
// portal named the new record (links, product rows), and how the add's
// answer names it.
type recreation struct {
	add  call
	then func(id int64) []call
	id   func(json.RawMessage) (int64, bool)
}

// recreateCalls are the writes that make a new record of type t from the
// writable fields: the legacy add for the four legacy types, crm.item.add
// for the others (itemRecreation).
func recreateCalls(s *history.Schema, t crm.Type, fields []db.RevertField) recreation {
	if !t.Legacy() {
		return itemRecreation(s, t, fields)
	}
	return legacyRecreation(s, t, fields)
}

// legacyRecreation is the legacy add with every plain field (multi-fields
// as new items, without ids; the pipeline too, which only an add sets),
// then, once the portal named the new record, its linked records as a set
// (crm.deal.contact.items.set and friends) and its product rows
// (crm.item.productrow.set).
//
// https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-add.html
// https://apidocs.bitrix24.com/api-reference/crm/deals/contacts/crm-deal-contact-items-set.html
// https://apidocs.bitrix24.com/api-reference/crm/universal/product-rows/crm-item-productrow-set.html
func legacyRecreation(s *history.Schema, t crm.Type, fields []db.RevertField) recreation {
	w := write{t: t, legacy: b24.Params{}, item: b24.Params{}}
	add := call{method: t.Method("add")}
	params := b24.Params{}
	linkList, linkMethods, linkKey := linkField(t)
	linkMethod := linkMethods + ".items.set" // crm.deal.contact.items.set
	var links []any
	var linkFields []string
	var rows rowsCall
	for _, rf := range fields {
		if !rf.Writable {
			continue
		}
		f, want := s.Field(rf.Field), decode(rf.Target)
		switch {
		case rf.Field == linkList:
			for _, v := range elements(want) {
				links = append(links, map[string]any{linkKey: v.Text})
			}
			linkFields = append(linkFields, rf.Field)
		case rf.Field == history.ProductRows:
			rows.take(rf.Field, want)
		case rf.Field == categoryField:
			params[rf.Field] = want.Text
			add.fields = append(add.fields, rf.Field)
		default:
			w.add(f, history.Value{}, want)
			add.fields = append(add.fields, rf.Field)
		}
	}
	for k, v := range w.legacy {
		params[k] = v
	}
	add.params = b24.Params{"fields": params}
	then := func(id int64) []call {
		var out []call
		if len(links) > 0 {
			out = append(out, call{linkMethod, b24.Params{"id": id, "items": links}, linkFields})
		}
		return append(out, rows.calls(t, id)...)
	}
	return recreation{add: add, then: then, id: newID}
}

// rowsCall is the product rows of a new record: set once the portal
// named it, through crm.item.productrow.set with the type's ownerType.
type rowsCall struct {
	rows   []any
	fields []string
}

func (r *rowsCall) take(field string, want history.Value) {
	r.rows, r.fields = productRows(elements(want)), []string{field}
}

func (r *rowsCall) calls(t crm.Type, id int64) []call {
	if len(r.rows) == 0 {
		return nil
	}
	return []call{{"crm.item.productrow.set", b24.Params{"ownerType": t.Short(), "ownerId": id, "productRows": r.rows}, r.fields}}
}

// newID reads the id a legacy add answers with.
func newID(raw json.RawMessage) (int64, bool) {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		n = json.Number(s)
	}
	id, err := n.Int64()
	return id, err == nil && id > 0
}
