package revert

import (
	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/history"
)

// Why a field is not written back; the tab shows the reason's label.
const (
	ReasonSystem    = "system"    // Bitrix24 sets it itself (IsSystemField)
	ReasonReadOnly  = "read_only" // isReadOnly in the portal's field metadata
	ReasonImmutable = "immutable" // isImmutable: settable only when the record is created
	ReasonUnknown   = "unknown"   // Trail never saw the earlier value
	ReasonNotYet    = "not_yet"   // product rows, links and files are not written back
	ReasonNotChosen = "not_chosen"
	ReasonChanged   = "changed" // the portal's value moved after the preview
	ReasonSame      = "same"    // the portal already holds the value
)

// categoryField is the pipeline of a deal: Bitrix24 changes it only
// through crm.item.update (categoryId); the legacy update treats it as
// immutable (crm-deal-update.md).
const categoryField = "CATEGORY_ID"

// unwritable says why nobody may write f back, "" when it can be.
func unwritable(f history.Field, want history.Value) string {
	switch {
	case history.IsSystemField(f.Name):
		return ReasonSystem
	case f.ReadOnly:
		return ReasonReadOnly
	case f.Immutable && f.Name != categoryField:
		return ReasonImmutable
	case want.Kind == history.KindUnknown:
		return ReasonUnknown
	case f.Type == history.TypeFile || f.Name == history.ProductRows || f.Name == "CONTACT_IDS" || f.Name == "COMPANY_IDS":
		return ReasonNotYet
	}
	return ""
}

// write is what one revert sends: the legacy update's fields and, for a
// pipeline move, crm.item.update's.
type write struct {
	legacy b24.Params
	item   b24.Params
}

// add puts one field's target into the write. Every field but the
// pipeline goes through the legacy update (crm.X.update, §21b): it takes
// values in the form the legacy get returned them, which is the form Trail
// stored. Multi-fields are edited by item id: an item the change added is
// deleted by its id, one it removed is added again (Bitrix24 gives it a
// new id), one it edited gets its old value and type back. The pipeline
// goes through crm.item.update with categoryId and the stage with it as
// stageId, since a stage belongs to its pipeline.
func (w *write) add(f history.Field, cur, want history.Value) {
	if w.legacy == nil {
		w.legacy = b24.Params{}
	}
	switch {
	case f.Name == categoryField:
		if w.item == nil {
			w.item = b24.Params{}
		}
		w.item["categoryId"] = want.Text
		if stage, ok := w.legacy["STAGE_ID"]; ok {
			w.item["stageId"] = stage
			delete(w.legacy, "STAGE_ID")
		}
	case f.Name == "STAGE_ID" && w.item != nil:
		w.item["stageId"] = want.Text
	case f.Type == history.TypeMultifield:
		w.legacy[f.Name] = multifield(elements(cur), elements(want))
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
