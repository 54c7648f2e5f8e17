package revert

import (
	"encoding/json"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// itemRecreation brings back an estimate, a smart invoice or a
// smart-process item: one crm.item.add (useOriginalUfNames=Y, so user
// fields keep their UF_CRM_… codes) with every writable field under its
// crm.item name and in the shape crm.item takes (itemField, itemValue):
// the pipeline and its stage, the contacts (contactIds), the company and
// the parent links are fields of the item. Then, once the portal named the
// new item, its product rows through crm.item.productrow.set with the
// type's ownerType. The add answers the new item ({"item": {"id": …}}).
//
// https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-add.html
// https://apidocs.bitrix24.com/api-reference/crm/universal/product-rows/crm-item-productrow-set.html
func itemRecreation(s *history.Schema, t crm.Type, fields []db.RevertField) recreation {
	w := write{t: t, legacy: b24.Params{}, item: b24.Params{}}
	var rows rowsCall
	for _, rf := range fields {
		if !rf.Writable {
			continue
		}
		if rf.Field == history.ProductRows {
			rows.take(rf.Field, decode(rf.Target))
			continue
		}
		w.addItem(s.Field(rf.Field), history.Value{}, decode(rf.Target))
	}
	add := call{method: "crm.item.add", fields: w.itemFields,
		params: b24.Params{"entityTypeId": int(t), "fields": w.item, "useOriginalUfNames": "Y"}}
	return recreation{add: add, then: func(id int64) []call { return rows.calls(t, id) }, id: itemID}
}

// itemID reads the id of the item crm.item.add answers with.
func itemID(raw json.RawMessage) (int64, bool) {
	var ans struct {
		Item struct {
			ID json.RawMessage `json:"id"`
		} `json:"item"`
	}
	if json.Unmarshal(raw, &ans) != nil {
		return 0, false
	}
	return newID(ans.Item.ID)
}
