package history

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ProductRows is the snapshot field that holds a record's product rows.
// Bitrix24's get leaves them out; Trail reads them with
// crm.item.productrow.list and keeps them beside the fields, so that rows
// added, removed and changed are diffed, stored and shown like a multiple
// field whose elements are known by their row id.
// https://apidocs.bitrix24.com/api-reference/crm/universal/product-rows/crm-item-productrow-list.html
const ProductRows = "PRODUCT_ROWS"

// TypeProductRow is the element type of ProductRows.
const TypeProductRow Type = "product_row"

// rowKeys are the properties of a row a person sets, as
// crm.item.productrow.list names them; the others (prices before
// discounts and taxes, the price in the report currency, sort order) follow
// from these or say nothing about the sale.
var rowKeys = []string{
	"id", "productId", "productName", "price", "quantity",
	"discountTypeId", "discountRate", "discountSum", "taxRate", "taxIncluded", "measureName",
}

// RowsValue is the ProductRows value of a crm.item.productrow.list answer
// ({"productRows":[...]}, one page or several joined): each row with the
// properties Trail compares, in the portal's order.
func RowsValue(pages ...json.RawMessage) (json.RawMessage, error) {
	var rows []map[string]json.RawMessage
	for _, raw := range pages {
		var page struct {
			Rows []map[string]json.RawMessage `json:"productRows"`
		}
		if err := json.Unmarshal(raw, &page); err != nil {
			return nil, fmt.Errorf("history: product rows: %w", err)
		}
		for _, r := range page.Rows {
			kept := make(map[string]json.RawMessage, len(rowKeys))
			for _, k := range rowKeys {
				if v, ok := r[k]; ok {
					kept[k] = v
				}
			}
			rows = append(rows, kept)
		}
	}
	if len(rows) == 0 {
		return jsonNull, nil
	}
	return json.Marshal(rows)
}

// ProductRow is one product row as a person reads it: every number in
// canonical decimal form, empty when not set.
type ProductRow struct {
	Product  string `json:"product,omitempty"` // catalogue product id; empty for a free-text row
	Name     string `json:"name,omitempty"`
	Price    string `json:"price,omitempty"` // per unit, discounts and taxes included
	Quantity string `json:"quantity,omitempty"`
	Unit     string `json:"unit,omitempty"`
	// Discount is a percentage ("10%") or an amount per unit ("5").
	Discount string `json:"discount,omitempty"`
	Tax      string `json:"tax,omitempty"` // rate in percent
	// TaxIncluded is "Y" when the price includes the tax.
	TaxIncluded string `json:"tax_included,omitempty"`
}

// productRowValue reduces a stored row to a KindRow value keyed by the
// row's id.
func productRowValue(v any) Value {
	if v == nil {
		return Value{}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return structured(v)
	}
	id := numberText(m["id"])
	if id == "" {
		return structured(v)
	}
	r := ProductRow{
		Product:  numberText(m["productId"]),
		Name:     text(m["productName"]),
		Price:    numberText(m["price"]),
		Quantity: numberText(m["quantity"]),
		Unit:     text(m["measureName"]),
		Tax:      numberText(m["taxRate"]),
	}
	if r.Product == "0" {
		r.Product = ""
	}
	if b, ok := canonicalBool(text(m["taxIncluded"])); ok && b == "Y" && r.Tax != "" {
		r.TaxIncluded = "Y"
	}
	// discountTypeId 1 is an amount, 2 (the default) a percentage.
	switch rate, sum := numberText(m["discountRate"]), numberText(m["discountSum"]); {
	case numberText(m["discountTypeId"]) == "1" && sum != "" && sum != "0":
		r.Discount = sum
	case rate != "" && rate != "0":
		r.Discount = rate + "%"
	}
	b, err := canonicalJSON(r)
	if err != nil {
		return structured(v)
	}
	return Value{Kind: KindRow, ID: id, Text: string(b)}
}

// ParseRow reads the row a KindRow value holds.
func ParseRow(v Value) (ProductRow, bool) {
	var r ProductRow
	if v.Kind != KindRow || json.Unmarshal([]byte(v.Text), &r) != nil {
		return ProductRow{}, false
	}
	return r, true
}

func text(v any) string {
	s, _ := scalarString(v)
	return strings.TrimSpace(s)
}

// numberText is v as a canonical decimal, or its text when it is none.
func numberText(v any) string {
	s := text(v)
	if n, ok := canonicalNumber(s, true); ok {
		return n
	}
	return s
}
