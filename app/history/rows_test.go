package history

import (
	"encoding/json"
	"testing"
)

func rowsSnapshot(t *testing.T, page string) Snapshot {
	t.Helper()
	v, err := RowsValue(json.RawMessage(page))
	if err != nil {
		t.Fatal(err)
	}
	return Snapshot{ProductRows: v}
}

// Rows are known by their id: one edited in place is one change of it,
// with only what a person set compared.
func TestProductRowsDiff(t *testing.T) {
	old := rowsSnapshot(t, `{"productRows":[
		{"id":1,"productId":7,"productName":"Sofa","price":100,"quantity":2,"discountTypeId":2,"discountRate":0,"taxRate":null,"taxIncluded":"N","priceAccount":"100.00","sort":10},
		{"id":2,"productId":0,"productName":"Delivery","price":15.5,"quantity":1,"discountTypeId":2,"discountRate":0}]}`)
	cur := rowsSnapshot(t, `{"productRows":[
		{"id":1,"productId":7,"productName":"Sofa","price":"100.00","quantity":3,"discountTypeId":2,"discountRate":10,"taxRate":20,"taxIncluded":"Y","priceAccount":"99.00","sort":20},
		{"id":3,"productId":8,"productName":"Chair","price":40,"quantity":4,"discountTypeId":1,"discountSum":5}]}`)
	got := Diff(nil, old, cur)
	if len(got) != 3 {
		t.Fatalf("Diff = %+v, want three changes", got)
	}
	kinds := map[ChangeKind]Change{}
	for _, c := range got {
		if c.Field != ProductRows {
			t.Errorf("change of %s", c.Field)
		}
		kinds[c.Kind] = c
	}
	changed, _ := ParseRow(kinds[ItemChanged].New)
	before, _ := ParseRow(kinds[ItemChanged].Old)
	if kinds[ItemChanged].New.ID != "1" || before.Quantity != "2" || changed.Quantity != "3" || changed.Discount != "10%" || changed.Tax != "20" || changed.TaxIncluded != "Y" || changed.Price != before.Price {
		t.Errorf("row 1 changed %+v -> %+v", before, changed)
	}
	if removed, _ := ParseRow(kinds[ItemRemoved].Old); kinds[ItemRemoved].Old.ID != "2" || removed.Name != "Delivery" || removed.Product != "" || removed.Price != "15.5" {
		t.Errorf("removed %+v", kinds[ItemRemoved].Old)
	}
	if added, _ := ParseRow(kinds[ItemAdded].New); kinds[ItemAdded].New.ID != "3" || added.Discount != "5" || added.Name != "Chair" {
		t.Errorf("added %+v", kinds[ItemAdded].New)
	}
	// Moving rows (sort) or the report currency's rate changes nothing.
	moved := rowsSnapshot(t, `{"productRows":[
		{"id":3,"productId":8,"productName":"Chair","price":40,"quantity":4,"discountTypeId":1,"discountSum":5,"sort":1},
		{"id":1,"productId":7,"productName":"Sofa","price":100,"quantity":3,"discountTypeId":2,"discountRate":10,"taxRate":20,"taxIncluded":"Y","priceAccount":"1.00"}]}`)
	if d := Diff(nil, cur, moved); len(d) != 0 {
		t.Errorf("reordered rows diff %+v", d)
	}
	// No rows is an empty field: rows added to a record without any are additions.
	if none := rowsSnapshot(t, `{"productRows":[]}`); string(none[ProductRows]) != "null" {
		t.Errorf("no rows = %s, want null", none[ProductRows])
	} else if d := Diff(nil, none, cur); len(d) != 2 || d[0].Kind != ItemAdded || d[1].Kind != ItemAdded {
		t.Errorf("rows added to none: %+v", d)
	}
}
