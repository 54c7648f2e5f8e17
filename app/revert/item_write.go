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
	w.item[name] = itemValue(f, want)
	w.itemFields = append(w.itemFields, f.Name)
}
