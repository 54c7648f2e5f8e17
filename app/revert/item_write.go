package revert

import (
	"github.com/trailhq/trail/app/history"
)

// addItem puts one field's target into the write of an estimate, a smart
// invoice or a smart-process item: every field through one
// crm.item.update (the pipeline and its stage together, links and parent
// links as fields of the item), product rows as a set through
// crm.item.productrow.set with the type's ownerType, or, to remove them
// all, a crm.item.productrow.delete of each current row.
// https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-update.html
// https://apidocs.bitrix24.com/api-reference/crm/universal/product-rows/crm-item-productrow-delete.html
func (w *write) addItem(f history.Field, cur, want history.Value) {
	if f.Name == history.ProductRows {
		w.rows, w.rowsField = productRows(elements(want)), f.Name
		w.dropRows = nil
		for _, r := range elements(cur) {
			if r.ID != "" {
				w.dropRows = append(w.dropRows, r.ID)
			}
		}
		return
	}
	name, ok := itemName(f)
	if !ok {
		return
	}
	w.itemFields = append(w.itemFields, f.Name)
	// The deprecated first contact follows the list: written with it, only
	// the list is sent, so that the two cannot disagree.
	switch _, list := w.item[contactList]; {
	case name == contactFirst && list:
		return
	case name == contactList:
		delete(w.item, contactFirst)
	}
	w.item[name] = itemValue(f, want)
}

// The crm.item names of an item's contacts and of its deprecated first
// contact (https://apidocs.bitrix24.com/api-reference/crm/universal/index.html).
const (
	contactList  = "contactIds"
	contactFirst = "contactId"
)
