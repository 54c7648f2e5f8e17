package b24test

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// The product rows of a record's card. The page shows a row's price
// before discount and its discount in percent, as the card's product
// editor does; a change saves the owner's rows as crm.item.productrow.*
// do (saveRows), and the owner's update event fires.

// rowsSection is a record's rows and the catalogue to add from.
type rowsSection struct {
	Rows      []rowLine
	Catalogue []selectOption
	Total     string
}

type rowLine struct {
	N        int // position, what the forms name
	Name     string
	Price    string // per unit, tax in, discount not taken off
	Quantity string
	Discount string // percent
	Sum      string
}

// rowsOwner is the store of the record's type when its records carry
// product rows, else nil. p.mu must be held.
func (p *Portal) rowsOwner(et *entityType) *entityStore { return p.rowOwner(shortCode(et.id)) }

// rowsSection is nil for a type without product rows.
func (ui uiRequest) rowsSection(rr recordRef) *rowsSection {
	p := ui.portal
	p.mu.Lock()
	var rows []productRow
	s := p.rowsOwner(rr.et)
	if s != nil {
		rows = p.ownerRows(s, rr.id)
	}
	p.mu.Unlock()
	if s == nil {
		return nil
	}
	rs := &rowsSection{}
	total := 0.0
	for i, row := range rows {
		rs.Rows = append(rs.Rows, rowLine{
			N: i, Name: row.productName, Price: strconv.FormatFloat(round2(row.figures().brutto), 'f', 2, 64),
			Quantity: strconv.FormatFloat(row.quantity, 'f', -1, 64),
			Discount: strconv.FormatFloat(round2(row.figures().discountRate), 'f', -1, 64), Sum: uiMoney(row.price * row.quantity),
		})
		total += row.price * row.quantity
	}
	rs.Total = uiMoney(total)
	for _, pr := range catalogue {
		rs.Catalogue = append(rs.Catalogue, selectOption{Value: strconv.Itoa(pr.id), Label: pr.name + " — " + pr.price + " " + pr.currency})
	}
	return rs
}

func uiMoney(x float64) string { return groupThousands(strconv.FormatFloat(round2(x), 'f', 2, 64)) }

// editRows adds a catalogue product, changes a row's quantity, price and
// discount, or removes a row.
func editRows(ui uiRequest, r *http.Request, rr recordRef) (string, error) {
	p := ui.portal
	p.mu.Lock()
	s := p.rowsOwner(rr.et)
	err := fmt.Errorf("a %s has no product rows", rr.et.name)
	if s != nil {
		var rows []productRow
		if rows, err = rowsAfter(p.ownerRows(s, rr.id), r.PostForm); err == nil {
			p.saveRows(s, rr.id, rows, ui.user)
		}
	}
	p.mu.Unlock()
	if err != nil {
		return "", err
	}
	p.changed(change{et: rr.et, action: "UPDATE", id: rr.id, actor: ui.user})
	return "", nil
}

// rowsAfter applies one posted change to the rows.
func rowsAfter(rows []productRow, form url.Values) ([]productRow, error) {
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	quantity := func() (float64, error) {
		x, err := strconv.ParseFloat(get("quantity"), 64)
		if err != nil || x <= 0 || math.IsInf(x, 0) {
			return 0, fmt.Errorf("the quantity must be a number above zero")
		}
		return x, nil
	}
	switch get("op") {
	case "add":
		id, _ := strconv.Atoi(get("product"))
		pr := productByID(id)
		if pr == nil {
			return nil, fmt.Errorf("choose a product of the catalogue")
		}
		q, err := quantity()
		if err != nil {
			return nil, err
		}
		row := newRow()
		row.productID, row.quantity, row.sort = pr.id, q, nextSort(rows)
		row.price, _ = strconv.ParseFloat(pr.price, 64)
		if err := completeRow(&row, rowInput{}); err != nil {
			return nil, err
		}
		return append(rows, row), nil
	case "update", "remove":
		n, err := strconv.Atoi(get("row"))
		if err != nil || n < 0 || n >= len(rows) {
			return nil, fmt.Errorf("there is no such row")
		}
		if get("op") == "remove" {
			return slices.Delete(rows, n, n+1), nil
		}
		q, err := quantity()
		if err != nil {
			return nil, err
		}
		price, err := strconv.ParseFloat(get("price"), 64)
		if err != nil || price < 0 || math.IsInf(price, 0) {
			return nil, fmt.Errorf("the price must be a number, zero or more")
		}
		rate, err := strconv.ParseFloat(get("discount"), 64)
		if err != nil || !(rate >= 0 && rate <= 100) {
			return nil, fmt.Errorf("the discount must be a percentage from 0 to 100")
		}
		row := &rows[n]
		row.quantity, row.price = q, round2(price*(1-rate/100))
		row.discountType, row.discountRate, row.discountSum = discountPercentage, rate, 0
		return rows, nil
	}
	return nil, fmt.Errorf("unknown action")
}
