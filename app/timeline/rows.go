package timeline

import (
	"encoding/json"
	"strings"

	"github.com/trailhq/trail/app/history"
)

// RowWords name a product row's properties in the viewer's language.
type RowWords struct {
	Product, Price, Quantity, Discount, Tax, TaxIncluded string
}

// englishRows are the words of a Printer that brings none.
var englishRows = RowWords{Product: "Product", Price: "price", Quantity: "quantity", Discount: "discount", Tax: "tax", TaxIncluded: "included"}

func (p Printer) rowWords() RowWords {
	if p.Rows.Product == "" {
		return englishRows
	}
	return p.Rows
}

// rowChange shows a product row's change as one line of its own, titled by
// the product's name ("Product: Sofa"): for a row edited in place only what
// changed ("quantity 2" → "quantity 3"), for a row added or removed all it
// held.
func rowChange(fc *FieldChange, oldRaw, newRaw json.RawMessage, p Printer) {
	w := p.rowWords()
	old, hadOld := history.ParseRow(decode(oldRaw))
	cur, hasNew := history.ParseRow(decode(newRaw))
	name := cur.Name
	if !hasNew {
		name = old.Name
	}
	fc.Title = w.Product + ": " + name
	props := func(r history.ProductRow, than *history.ProductRow) string {
		var parts []string
		add := func(word, v, other string) {
			if than == nil && v != "" || than != nil && v != other {
				parts = append(parts, strings.TrimSpace(word+" "+v))
			}
		}
		var o history.ProductRow
		if than != nil {
			o = *than
			add(w.Product, r.Name, o.Name)
		}
		add(w.Quantity, formatNumber(r.Quantity)+unit(r.Unit), formatNumber(o.Quantity)+unit(o.Unit))
		add(w.Price, formatNumber(r.Price), formatNumber(o.Price))
		add(w.Discount, r.Discount, o.Discount)
		add(w.Tax, tax(r, w), tax(o, w))
		if len(parts) == 0 {
			return p.Empty
		}
		return strings.Join(parts, ", ")
	}
	switch {
	case hadOld && hasNew:
		fc.Old, fc.New = props(old, &cur), props(cur, &old)
	case hadOld:
		fc.Old = props(old, nil)
	case hasNew:
		fc.New = props(cur, nil)
	}
}

func unit(u string) string {
	if u == "" {
		return ""
	}
	return " " + u
}

func tax(r history.ProductRow, w RowWords) string {
	if r.Tax == "" {
		return ""
	}
	if r.TaxIncluded == "Y" {
		return r.Tax + "% (" + w.TaxIncluded + ")"
	}
	return r.Tax + "%"
}
