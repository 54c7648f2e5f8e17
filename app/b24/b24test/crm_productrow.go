package b24test

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// productRow is one product row of a lead or deal as stored
// (https://apidocs.bitrix24.com/api-reference/crm/universal/product-rows/index.html);
// the prices without discount or tax are derived by figures.
type productRow struct {
	id           int
	ownerType    string // short code: "D", "L"
	ownerID      int
	productID    int // 0: a free-text row
	productName  string
	price        float64 // per unit, discount and tax included
	quantity     float64
	discountType int     // 1 absolute, 2 percentage
	discountRate float64 // percent, for the percentage type
	discountSum  float64 // per unit, for the absolute type
	taxRate      *float64
	taxIncluded  bool
	measureCode  int
	measureName  string
	sort         int
	xmlID        string
	typ          int // 1 simple product, 7 service
}

const (
	discountAbsolute   = 1
	discountPercentage = 2
)

// rowFigures are a row's computed per-unit prices and its discount in
// both forms.
type rowFigures struct {
	exclusive, netto, brutto float64
	discountRate             float64
	discountSum              float64
}

// figures works back from price (discount and tax in): without tax is
// priceExclusive, then without discount priceNetto, then with tax again
// priceBrutto.
func (r productRow) figures() rowFigures {
	tax := 1.0
	if r.taxRate != nil {
		tax += *r.taxRate / 100
	}
	f := rowFigures{exclusive: r.price / tax}
	switch {
	case r.discountType == discountAbsolute:
		f.discountSum = r.discountSum
		f.netto = f.exclusive + r.discountSum
		if f.netto != 0 {
			f.discountRate = r.discountSum / f.netto * 100
		}
	case r.discountRate < 100:
		f.discountRate = r.discountRate
		f.netto = f.exclusive / (1 - r.discountRate/100)
		f.discountSum = f.netto - f.exclusive
	default: // a full discount leaves nothing to work back from
		f.discountRate = r.discountRate
		f.netto = f.exclusive
	}
	f.brutto = f.netto * tax
	return f
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func cents(x float64) int64 { return int64(math.Round(x * 100)) }

func formatCents(c int64) string { return strconv.FormatFloat(float64(c)/100, 'f', 2, 64) }

// rowTotals is what rows make of their owner's amount: OPPORTUNITY is the
// sum of price × quantity, TAX_VALUE the tax within it.
func rowTotals(rows []productRow) (amount, tax int64) {
	for _, r := range rows {
		amount += cents(r.price * r.quantity)
		tax += cents((r.price - r.figures().exclusive) * r.quantity)
	}
	return amount, tax
}

// rowOwnerCodes are the short codes (ownerType) of the types whose records
// carry product rows, by entityTypeId
// (https://apidocs.bitrix24.com/api-reference/crm/data-types.html#object_type).
// Contacts and companies carry none.
var rowOwnerCodes = map[int]string{1: "L", 2: "D"}

// rowOwner is the one place that knows which records carry rows: the
// store of the type an ownerType names, or nil when that type has no rows.
func (p *Portal) rowOwner(code string) *entityStore {
	for id, c := range rowOwnerCodes {
		if strings.EqualFold(c, code) {
			return p.crm[id]
		}
	}
	return nil
}

// rowStore holds the rows of the owners whose rows were written, whole;
// every other generated owner's rows are computed from the seed.
type rowStore struct {
	owners map[rowKey][]productRow
	byID   map[int]rowKey
	genTop int // generated row ids are below it
	nextID int
}

type rowKey struct {
	code string
	id   int
}

// genRowSlots is the most rows a generated owner has; a generated row's id
// encodes its owner, its place and its owner's type, so it is found again
// without being stored.
const genRowSlots = 4

func genRowID(typeID, owner, k int) int { return (owner*genRowSlots+k)*8 + typeID }

// productRows returns the portal's row store, made on first use. Guarded
// by p.mu.
func (p *Portal) productRows() *rowStore {
	if p.rows == nil {
		top := 0
		for id := range rowOwnerCodes {
			top = max(top, p.crm[id].g.count)
		}
		first := genRowID(0, top+1, 0)
		p.rows = &rowStore{owners: map[rowKey][]productRow{}, byID: map[int]rowKey{}, genTop: first, nextID: first}
	}
	return p.rows
}

// ownerRows returns the rows of an existing owner ordered by sort, then id.
func (p *Portal) ownerRows(s *entityStore, id int) []productRow {
	code := rowOwnerCodes[s.et.id]
	if rows, ok := p.productRows().owners[rowKey{code, id}]; ok {
		return slices.Clone(rows)
	}
	if id > s.g.count {
		return nil
	}
	return genRows(&s.g, code, id, s.et.byName["OPPORTUNITY"].gen, s.et.byName["IS_MANUAL_OPPORTUNITY"].gen)
}

// findRow finds a row of an existing owner by id.
func (p *Portal) findRow(id int) (productRow, *entityStore, bool) {
	rs := p.productRows()
	key, stored := rs.byID[id]
	if !stored {
		if id <= 0 || id >= rs.genTop {
			return productRow{}, nil, false
		}
		rest := id / 8
		key = rowKey{rowOwnerCodes[id%8], rest / genRowSlots}
	}
	s := p.rowOwner(key.code)
	if key.code == "" || s == nil || !s.exists(key.id) {
		return productRow{}, nil, false
	}
	for _, r := range p.ownerRows(s, key.id) {
		if r.id == id {
			return r, s, true
		}
	}
	return productRow{}, nil, false
}

// putRows makes rows the owner's whole list, giving new rows (id 0) ids.
func (p *Portal) putRows(s *entityStore, owner int, rows []productRow) []productRow {
	rs := p.productRows()
	key := rowKey{rowOwnerCodes[s.et.id], owner}
	for _, r := range rs.owners[key] {
		delete(rs.byID, r.id)
	}
	for i := range rows {
		r := &rows[i]
		r.ownerType, r.ownerID = key.code, owner
		if r.id == 0 {
			r.id = rs.nextID
			rs.nextID++
		}
		if r.productName == "" && r.productID == 0 {
			r.productName = "[" + strconv.Itoa(r.id) + "]"
		}
		rs.byID[r.id] = key
	}
	slices.SortStableFunc(rows, func(a, b productRow) int {
		if a.sort != b.sort {
			return a.sort - b.sort
		}
		return a.id - b.id
	})
	rs.owners[key] = rows
	return slices.Clone(rows)
}

// rowsSaved is what a row change does to its owner: the owner is saved by
// the actor (DATE_MODIFY, MODIFY_BY_ID) and, unless its amount is manual,
// OPPORTUNITY and TAX_VALUE become the rows' totals. The caller fires the
// owner's update event.
func (p *Portal) rowsSaved(s *entityStore, owner int, rows []productRow, actor *user) {
	rec := s.record(owner)
	rec["MODIFY_BY_ID"] = strconv.Itoa(actorID(actor, rec))
	rec["DATE_MODIFY"] = p.formatTime(p.srv.now())
	if rec["IS_MANUAL_OPPORTUNITY"] != "Y" {
		amount, tax := rowTotals(rows)
		rec["OPPORTUNITY"] = formatCents(amount)
		if _, ok := rec["TAX_VALUE"]; ok {
			rec["TAX_VALUE"] = formatCents(tax)
		}
	}
	s.over[owner] = rec
}

// genRows are the rows of a generated owner: none for three in ten, up to
// genRowSlots for the rest. When the owner's amount is not manual the rows
// add up to its generated OPPORTUNITY exactly, so the seeded records agree
// with their rows from the start.
func genRows(g *genCtx, code string, id int, amountGen, manualGen genFunc) []productRow {
	n := []int{0, 0, 0, 1, 1, 1, 2, 2, 3, 4}[g.n(id, 700, 10)]
	if n == 0 || code == "" {
		return nil
	}
	var tax *float64
	if t := []float64{0, 0, 20, 19}[g.n(id, 701, 4)]; t > 0 {
		tax = &t
	}
	fit := manualGen(g, id) != "Y"
	amount, _ := strconv.ParseFloat(amountGen(g, id).(string), 64)
	left := cents(amount)
	rows := make([]productRow, n)
	for k := range rows {
		pr := &catalogue[g.n(id, 710+uint64(k), len(catalogue))]
		qty := int64([]int{1, 1, 2, 3, 5, 10}[g.n(id, 720+uint64(k), 6)])
		discount := []float64{0, 0, 0, 5, 10, 15}[g.n(id, 730+uint64(k), 6)]
		list, _ := strconv.ParseFloat(pr.price, 64)
		unit := cents(list * (1 - discount/100))
		if fit {
			if k < n-1 {
				unit = max(cents(amount)/int64(n)/qty, 1)
				left -= unit * qty
			} else {
				unit, qty = left, 1
			}
		}
		rows[k] = productRow{
			id: genRowID(g.et, id, k), ownerType: code, ownerID: id,
			productID: pr.id, productName: pr.name, price: float64(unit) / 100, quantity: float64(qty),
			discountType: discountPercentage, discountRate: discount, taxRate: tax, taxIncluded: tax != nil,
			measureCode: pr.measure, measureName: measures[pr.measure], sort: (k + 1) * 10, typ: pr.rowType(),
		}
	}
	return rows
}

func (pr *product) rowType() int {
	if pr.service {
		return 7
	}
	return 1
}

// genRowsTax is TAX_VALUE of a generated record: the tax in its rows when
// they make its amount, else other's value.
func genRowsTax(amountGen, manualGen, other genFunc) genFunc {
	return func(g *genCtx, id int) any {
		rows := genRows(g, rowOwnerCodes[g.et], id, amountGen, manualGen)
		if len(rows) == 0 || manualGen(g, id) == "Y" {
			return other(g, id)
		}
		_, tax := rowTotals(rows)
		return formatCents(tax)
	}
}
