package revert

import (
	"slices"
	"strings"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
)

// Why a field is not written back; the tab shows the reason's label.
const (
	ReasonSystem    = "system"    // Bitrix24 sets it itself (IsSystemField)
	ReasonReadOnly  = "read_only" // isReadOnly in the portal's field metadata
	ReasonImmutable = "immutable" // isImmutable: settable only when the record is created
	ReasonUnknown   = "unknown"   // Trail never saw the earlier value
	ReasonFileGone  = "file_gone" // the portal no longer holds a file to put back
	ReasonNotChosen = "not_chosen"
	ReasonChanged   = "changed" // the portal's value moved after the preview
	ReasonSame      = "same"    // the portal already holds the value
)

// categoryField is the pipeline of a deal: Bitrix24 changes it only
// through crm.item.update (categoryId); the legacy update treats it as
// immutable (crm-deal-update.md).
const categoryField = "CATEGORY_ID"

// unwritable says why nobody may write f back from cur to want, "" when
// it can be.
func unwritable(f history.Field, cur, want history.Value) string {
	switch {
	case history.IsSystemField(f.Name):
		return ReasonSystem
	case f.ReadOnly:
		return ReasonReadOnly
	case f.Immutable && f.Name != categoryField:
		return ReasonImmutable
	case want.Kind == history.KindUnknown:
		return ReasonUnknown
	case f.Type == history.TypeFile:
		// A file leaves the portal with the record's field: one the change
		// removed cannot be attached again, only files the field still
		// holds can be kept.
		for _, w := range elements(want) {
			if find(elements(cur), w) < 0 {
				return ReasonFileGone
			}
		}
	}
	return ""
}

// call is one write of a revert and the fields it writes.
type call struct {
	method string
	params b24.Params
	fields []string
}

// write is what one revert sends, by method.
type write struct {
	t      crm.Type
	id     int64
	item   b24.Params // crm.item.update fields (the pipeline)
	legacy b24.Params // crm.X.update fields
	rows   []any      // crm.item.productrow.set rows; nil: none
	// dropRows are the ids of the rows to delete one by one when an item
	// type's rows are emptied (productRows cannot be sent empty in a form).
	dropRows []string
	// links are the items of the binding methods' items.set (the linked
	// contacts or companies of a legacy type); nil: none.
	links []any
	// fields by method, for their outcomes.
	itemFields, legacyFields []string
	rowsField, linksField    string
}

// add puts one field's target into the write, through the method that
// writes it exactly:
//   - the pipeline: crm.item.update with categoryId, and the stage with it
//     as stageId, since a stage belongs to its pipeline; the legacy update
//     treats CATEGORY_ID as immutable (crm-deal-update.md);
//   - product rows: crm.item.productrow.set, the whole set (Bitrix24 gives
//     every row a new id), or crm.X.productrows.set without rows to remove
//     them all;
//   - the linked contacts (a contact's companies): the binding methods'
//     items.set, the whole list, or items.delete to unlink them all; a
//     company's update has no such field, and the binding methods are
//     the way the documentation advises for every type;
//   - everything else: the legacy update (crm.X.update), which takes values
//     in the form the legacy get returns them, the form Trail stores:
//     text, numbers, money "amount|CUR", dates ISO 8601, enumerations by
//     item id, multiple values as a list, files by the id of a file the field still holds,
//     multi-fields by item id: an item the change added is deleted by its
//     id, one it removed is added again (with a new id), one it edited gets
//     its old value and type back.
//
// https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-update.html
// https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-update.html
// https://apidocs.bitrix24.com/api-reference/crm/universal/product-rows/crm-item-productrow-set.html
func (w *write) add(f history.Field, cur, want history.Value) {
	if w.legacy == nil {
		w.legacy, w.item = b24.Params{}, b24.Params{}
	}
	if !w.t.Legacy() {
		w.addItem(f, cur, want)
		return
	}
	switch {
	case f.Name == categoryField:
		w.item["categoryId"] = want.Text
		w.itemFields = append(w.itemFields, f.Name)
		if stage, ok := w.legacy["STAGE_ID"]; ok {
			w.item["stageId"] = stage
			delete(w.legacy, "STAGE_ID")
			w.legacyFields = slices.DeleteFunc(w.legacyFields, func(s string) bool { return s == "STAGE_ID" })
			w.itemFields = append(w.itemFields, "STAGE_ID")
		}
		return
	case f.Name == "STAGE_ID" && len(w.itemFields) > 0:
		w.item["stageId"] = want.Text
		w.itemFields = append(w.itemFields, f.Name)
		return
	case f.Name == history.ProductRows:
		w.rows = productRows(elements(want))
		w.rowsField = f.Name
		return
	}
	if field, _, key := linkField(w.t); f.Name == field {
		w.links, w.linksField = []any{}, f.Name
		for _, v := range elements(want) {
			w.links = append(w.links, map[string]any{key: v.Text})
		}
		return
	}
	w.legacyFields = append(w.legacyFields, f.Name)
	switch {
	case f.Type == history.TypeMultifield:
		w.legacy[f.Name] = multifield(elements(cur), elements(want))
	case f.Type == history.TypeFile:
		files := make([]any, 0, 1)
		for _, v := range elements(want) {
			files = append(files, map[string]any{"id": v.Text})
		}
		switch {
		case len(files) == 0:
			w.legacy[f.Name] = ""
		case f.Multiple:
			w.legacy[f.Name] = files
		default:
			w.legacy[f.Name] = files[0]
		}
	case f.Multiple || want.Kind == history.KindList:
		list := elements(want)
		if len(list) == 0 {
			w.legacy[f.Name] = ""
			return
		}
		texts := make([]string, len(list))
		for i, v := range list {
			texts[i] = scalar(f, v)
		}
		w.legacy[f.Name] = texts
	default:
		w.legacy[f.Name] = scalar(f, want)
	}
}

// calls are the write's requests: product rows, then the pipeline move (a
// stage of the new pipeline may then be set), the other fields, the links,
// each with the fields it writes.
func (w *write) calls() []call {
	var out []call
	// Rows first: setting them recomputes the record's amount, which the
	// fields written after then put back as it was.
	if w.rowsField != "" {
		switch {
		case !w.t.Legacy() && len(w.rows) == 0:
			for _, id := range w.dropRows {
				out = append(out, call{"crm.item.productrow.delete", b24.Params{"id": id}, []string{w.rowsField}})
			}
		case len(w.rows) == 0:
			out = append(out, call{w.t.Method("productrows.set"), b24.Params{"id": w.id}, []string{w.rowsField}})
		default:
			out = append(out, call{"crm.item.productrow.set", b24.Params{"ownerType": w.t.Short(), "ownerId": w.id, "productRows": w.rows}, []string{w.rowsField}})
		}
	}
	if len(w.itemFields) > 0 {
		p := b24.Params{"entityTypeId": int(w.t), "id": w.id, "fields": w.item}
		if !w.t.Legacy() {
			p["useOriginalUfNames"] = "Y"
		}
		out = append(out, call{"crm.item.update", p, w.itemFields})
	}
	if len(w.legacyFields) > 0 {
		out = append(out, call{w.t.Method("update"), b24.Params{"id": w.id, "fields": w.legacy}, w.legacyFields})
	}
	// Links last: a deprecated single link (CONTACT_ID) the update writes
	// would otherwise replace the list.
	if w.linksField != "" {
		_, methods, _ := linkField(w.t)
		if len(w.links) == 0 {
			out = append(out, call{methods + ".items.delete", b24.Params{"id": w.id}, []string{w.linksField}})
		} else {
			out = append(out, call{methods + ".items.set", b24.Params{"id": w.id, "items": w.links}, []string{w.linksField}})
		}
	}
	return out
}

// productRows are rows as crm.item.productrow.set takes them: the price
// per unit with discount and tax, the discount as a percentage (type 2) or
// an amount (type 1).
func productRows(want []history.Value) []any {
	out := make([]any, 0, len(want))
	for _, v := range want {
		r, ok := history.ParseRow(v)
		if !ok {
			continue
		}
		m := map[string]any{"productId": r.Product, "productName": r.Name, "price": r.Price, "quantity": r.Quantity,
			"taxRate": r.Tax, "taxIncluded": "N"}
		if r.Product == "" {
			m["productId"] = "0"
		}
		if r.TaxIncluded == "Y" {
			m["taxIncluded"] = "Y"
		}
		if rate, ok := strings.CutSuffix(r.Discount, "%"); ok {
			m["discountTypeId"], m["discountRate"] = "2", rate
		} else if r.Discount != "" {
			m["discountTypeId"], m["discountSum"] = "1", r.Discount
		}
		out = append(out, m)
	}
	return out
}

// scalar is a value as the legacy update takes it: an enumeration by its
// item id, money as "amount|CUR", dates in ISO 8601 (UTC, or as the portal
// wrote a wall time), a user field's yes/no as 1/0.
func scalar(f history.Field, v history.Value) string {
	if v.IsEmpty() {
		if f.Type == history.TypeChar {
			return "N"
		}
		if f.Type == history.TypeBoolean {
			return "0"
		}
		return ""
	}
	if f.Type == history.TypeBoolean {
		if v.Text == "Y" {
			return "1"
		}
		return "0"
	}
	return v.Text
}

// multifield is the legacy operations that turn cur's items into want's
// (crm-contact-update.md): matched by id only, never by text.
func multifield(cur, want []history.Value) []any {
	var ops []any
	for _, c := range cur {
		k := find(want, c)
		switch {
		case k < 0:
			ops = append(ops, map[string]any{"ID": c.ID, "DELETE": "Y"})
		case !want[k].Equal(c):
			ops = append(ops, map[string]any{"ID": c.ID, "VALUE": want[k].Text, "VALUE_TYPE": want[k].ValueType})
		}
	}
	for _, w := range want {
		if find(cur, w) < 0 {
			ops = append(ops, map[string]any{"VALUE": w.Text, "VALUE_TYPE": w.ValueType})
		}
	}
	return ops
}
