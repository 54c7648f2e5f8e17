package b24test

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// productRow is one product row of an item as stored
// (https://apidocs.bitrix24.com/api-reference/crm/universal/product-rows/index.html);
// the prices without discount or tax are derived by figures.
type productRow struct {
	id           int
	ownerType    string // short code: "D", "L", "Q", "SI", "T80"
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

// hasRows reports whether a type's items carry product rows: leads, deals,
// estimates, smart invoices and smart processes with
// isLinkWithProductsEnabled
// (https://apidocs.bitrix24.com/api-reference/crm/universal/product-rows/index.html).
// Contacts and companies carry none.
func hasRows(et *entityType) bool {
	switch {
	case et == nil || et.id == 3 || et.id == 4:
		return false
	case et.id == 1 || et.id == 2 || et.id == typeQuote:
		return true
	}
	return et.kind != nil && et.kind.flags[flagProducts]
}

// rowOwner is the one place that knows which records carry rows: the
// store of the type an ownerType names (crmTypeByCode; the legacy codes in
// any case), or nil when that type has no rows. p.mu must be held.
func (p *Portal) rowOwner(code string) *entityStore {
	et := p.crmTypeByCode(code)
	if et == nil {
		et = p.crmTypeByCode(strings.ToUpper(code))
	}
	if !hasRows(et) {
		return nil
	}
	return p.crm[et.id]
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
// encodes its owner, its place and its owner's type (rowSlot), so it is
// found again without being stored.
const genRowSlots = 4

// genRowRadix bounds rowSlot: the type's share of a generated row id.
const genRowRadix = 128

// rowSlot packs the entityTypeId of a type with generated items into a
// generated row id: the built-in types below 64 as they are, smart
// processes 128–191 as 64–127; 0 when it does not fit (smart processes
// from 1030, whose generated items then have no rows).
func rowSlot(entityTypeID int) int {
	switch {
	case entityTypeID > 0 && entityTypeID < 64:
		return entityTypeID
	case entityTypeID >= 128 && entityTypeID < 192:
		return entityTypeID - 64
	}
	return 0
}

// slotType is the entityTypeId rowSlot packed.
func slotType(slot int) int {
	if slot < 64 {
		return slot
	}
	return slot + 64
}

func genRowID(typeID, owner, k int) int { return (owner*genRowSlots+k)*genRowRadix + rowSlot(typeID) }

// productRows returns the portal's row store, made on first use. Guarded
// by p.mu.
func (p *Portal) productRows() *rowStore {
	if p.rows == nil {
		top := 0
		for _, s := range p.crm {
			if hasRows(s.et) {
				top = max(top, s.g.count)
			}
		}
		first := (top + 1) * genRowSlots * genRowRadix
		p.rows = &rowStore{owners: map[rowKey][]productRow{}, byID: map[int]rowKey{}, genTop: first, nextID: first}
	}
	return p.rows
}

// ownerRows returns the rows of an existing owner ordered by sort, then id.
func (p *Portal) ownerRows(s *entityStore, id int) []productRow {
	code := shortCode(s.et.id)
	if rows, ok := p.productRows().owners[rowKey{code, id}]; ok {
		return slices.Clone(rows)
	}
	amount, manual := s.et.byName["OPPORTUNITY"], s.et.byName["IS_MANUAL_OPPORTUNITY"]
	if id > s.g.count || amount == nil || manual == nil || rowSlot(s.et.id) == 0 {
		return nil
	}
	return genRows(&s.g, code, id, amount.gen, manual.gen)
}

// findRow finds a row of an existing owner by id.
func (p *Portal) findRow(id int) (productRow, *entityStore, bool) {
	rs := p.productRows()
	key, stored := rs.byID[id]
	if !stored {
		if id <= 0 || id >= rs.genTop {
			return productRow{}, nil, false
		}
		rest := id / genRowRadix
		key = rowKey{shortCode(slotType(id % genRowRadix)), rest / genRowSlots}
	}
	s := p.rowOwner(key.code)
	if s == nil || !s.exists(key.id) {
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
	key := rowKey{shortCode(s.et.id), owner}
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
	setPresent(rec, strconv.Itoa(actorID(actor, rec)), "MODIFY_BY_ID", "UPDATED_BY")
	setPresent(rec, p.formatTime(p.srv.now()), "DATE_MODIFY", "UPDATED_TIME")
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
		rows := genRows(g, shortCode(g.et), id, amountGen, manualGen)
		if len(rows) == 0 || manualGen(g, id) == "Y" || rowSlot(g.et) == 0 {
			return other(g, id)
		}
		_, tax := rowTotals(rows)
		return formatCents(tax)
	}
}
