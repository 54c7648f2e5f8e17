package b24test

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
)

// crm.item.productrow.*: the rows of a lead or deal addressed by the
// owner's short code and id
// (https://apidocs.bitrix24.com/api-reference/crm/universal/product-rows/index.html).
func init() {
	register(
		&method{name: "crm.item.productrow.fields", scope: "crm", fn: func(*call) (callResult, *apiError) {
			return ok(objOf("fields", rowFieldDescriptions()))
		}},
		&method{name: "crm.item.productrow.list", scope: "crm", fn: rowList},
		&method{name: "crm.item.productrow.get", scope: "crm", fn: rowGet},
		&method{name: "crm.item.productrow.add", scope: "crm", fn: rowAdd},
		&method{name: "crm.item.productrow.update", scope: "crm", fn: rowUpdate},
		&method{name: "crm.item.productrow.delete", scope: "crm", fn: rowDelete},
		&method{name: "crm.item.productrow.set", scope: "crm", fn: rowSet},
	)
}

var (
	errRowTypeNotSupported = newErr(http.StatusBadRequest, "ENTITY_TYPE_NOT_SUPPORTED", "Working with this type of objects is not supported")
	errRowOwnerNotFound    = newErr(http.StatusBadRequest, "OWNER_NOT_FOUND", "Owner was not found")
	errRowNotFound         = newErr(http.StatusBadRequest, "NOT_FOUND", "Item not found")
	errRowDenied           = newErr(http.StatusBadRequest, "ACCESS_DENIED", "Access denied")
	errRowNotUpdatable     = newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", "Unknown field or the provided field is not available for update")
)

func errRowRequired(name string) *apiError {
	return newErr(http.StatusBadRequest, "100", "Required parameter \""+name+"\" is not set")
}

func errRowInvalid(err error) *apiError {
	return newErr(http.StatusBadRequest, "INVALID_ARG_VALUE", err.Error())
}

// rowOwnerOf resolves an owner the caller may change. Guarded by p.mu.
func rowOwnerOf(c *call, code string, id int) (*entityStore, *apiError) {
	s := c.portal.rowOwner(code)
	switch {
	case s == nil:
		return nil, errRowTypeNotSupported
	case id <= 0 || !s.exists(id):
		return nil, errRowOwnerNotFound
	case !canRead(s, id, c.user):
		return nil, errRowDenied
	}
	return s, nil
}

// rowByID finds the row of the id parameter that the caller may see.
// Guarded by p.mu.
func rowByID(c *call) (productRow, *entityStore, *apiError) {
	id, err := strconv.Atoi(c.str("id"))
	if err != nil || id <= 0 {
		return productRow{}, nil, errRowRequired("id")
	}
	r, s, found := c.portal.findRow(id)
	switch {
	case !found:
		return productRow{}, nil, errRowNotFound
	case !canRead(s, r.ownerID, c.user):
		return productRow{}, nil, errRowDenied
	}
	return r, s, nil
}

// rowsChanged fires the owner's update event for a row change the call made.
func (c *call) rowsChanged(s *entityStore, owner int) {
	c.portal.changed(change{et: s.et, action: "UPDATE", id: owner, actor: c.user, byApp: c.app, connector: c.str("auth_connector")})
}

// saveRows makes rows the owner's rows and saves the owner. Guarded by p.mu.
func (p *Portal) saveRows(s *entityStore, owner int, rows []productRow, actor *user) []productRow {
	saved := p.putRows(s, owner, rows)
	p.rowsSaved(s, owner, saved, actor)
	return saved
}

func rowGet(c *call) (callResult, *apiError) {
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	r, _, aerr := rowByID(c)
	if aerr != nil {
		return callResult{}, aerr
	}
	c.cost += c.srv.opts.Cost.PerRow
	return ok(objOf("productRow", r.itemObj()))
}

func rowAdd(c *call) (callResult, *apiError) {
	in := c.obj("fields")
	if in == nil {
		return callResult{}, errRowRequired("fields")
	}
	r := newRow()
	got, err := applyRowInput(&r, in, false)
	if err == nil {
		err = completeRow(&r, got)
	}
	switch {
	case err != nil:
		return callResult{}, errRowInvalid(err)
	case !got.given["ownerType"]:
		return callResult{}, errRowRequired("ownerType")
	case !got.given["ownerId"]:
		return callResult{}, errRowRequired("ownerId")
	}
	c.portal.mu.Lock()
	s, aerr := rowOwnerOf(c, r.ownerType, r.ownerID)
	var added productRow
	if aerr == nil {
		rows := c.portal.ownerRows(s, r.ownerID)
		if !got.given["sort"] {
			r.sort = nextSort(rows)
		}
		newID := c.portal.productRows().nextID
		for _, x := range c.portal.saveRows(s, r.ownerID, append(rows, r), c.user) {
			if x.id == newID {
				added = x
			}
		}
	}
	c.portal.mu.Unlock()
	if aerr != nil {
		return callResult{}, aerr
	}
	c.rowsChanged(s, added.ownerID)
	return ok(objOf("productRow", added.itemObj()))
}

// nextSort places an added row after the others.
func nextSort(rows []productRow) int {
	top := 0
	for _, r := range rows {
		top = max(top, r.sort)
	}
	return top + 10
}

func rowUpdate(c *call) (callResult, *apiError) {
	in := c.obj("fields")
	if in == nil {
		return callResult{}, errRowRequired("fields")
	}
	c.portal.mu.Lock()
	r, s, aerr := rowByID(c)
	if aerr == nil {
		r, aerr = updateRow(c, s, r, in)
	}
	c.portal.mu.Unlock()
	if aerr != nil {
		return callResult{}, aerr
	}
	c.rowsChanged(s, r.ownerID)
	return ok(objOf("productRow", r.itemObj()))
}

// updateRow applies fields to row r of owner s and returns it as saved.
// Guarded by p.mu.
func updateRow(c *call, s *entityStore, r productRow, in *obj) (productRow, *apiError) {
	old := r
	got, err := applyRowInput(&r, in, false)
	if err != nil {
		return r, errRowInvalid(err)
	}
	if len(got.refused) > 0 || got.given["ownerId"] || got.given["ownerType"] {
		return r, errRowNotUpdatable
	}
	if got.given["productId"] && r.productID != old.productID {
		if !got.given["productName"] {
			r.productName = ""
		}
		if !got.given["measureCode"] {
			r.measureCode = 0
		}
	}
	if err := completeRow(&r, got); err != nil {
		return r, errRowInvalid(err)
	}
	rows := c.portal.ownerRows(s, r.ownerID)
	for i := range rows {
		if rows[i].id == r.id {
			rows[i] = r
		}
	}
	for _, x := range c.portal.saveRows(s, r.ownerID, rows, c.user) {
		if x.id == r.id {
			r = x
		}
	}
	return r, nil
}

func rowDelete(c *call) (callResult, *apiError) {
	c.portal.mu.Lock()
	r, s, aerr := rowByID(c)
	if aerr == nil {
		rows := slices.DeleteFunc(c.portal.ownerRows(s, r.ownerID), func(x productRow) bool { return x.id == r.id })
		c.portal.saveRows(s, r.ownerID, rows, c.user)
	}
	c.portal.mu.Unlock()
	if aerr != nil {
		return callResult{}, aerr
	}
	c.rowsChanged(s, r.ownerID)
	return ok(nil)
}

// parseRows reads the rows of a set; legacy takes crm.deal.productrows.set's
// names and checks. Every row is new: ids and owners are given on saving.
func parseRows(list *obj, legacy bool) ([]productRow, error) {
	var rows []productRow
	for i, v := range list.values() {
		in := asObj(v)
		if in == nil {
			return nil, errors.New("row " + strconv.Itoa(i) + " is not an array")
		}
		r := newRow()
		got, err := applyRowInput(&r, in, legacy)
		if err != nil {
			return nil, err
		}
		if msg := legacyDiscountError(r, got); legacy && msg != "" {
			return nil, errors.New(msg)
		}
		if err := completeRow(&r, got); err != nil {
			return nil, err
		}
		if !got.given["sort"] {
			r.sort = (i + 1) * 10
		}
		r.id = 0
		rows = append(rows, r)
	}
	return rows, nil
}

func rowSet(c *call) (callResult, *apiError) {
	code, owner := c.str("ownerType"), c.str("ownerId")
	v, given := c.param("productRows")
	switch {
	case code == "":
		return callResult{}, errRowRequired("ownerType")
	case owner == "":
		return callResult{}, errRowRequired("ownerId")
	case !given:
		return callResult{}, errRowRequired("productRows")
	case asObj(v) == nil:
		return callResult{}, errRowInvalid(errors.New("productRows must be an array"))
	}
	rows, err := parseRows(asObj(v), false)
	if err != nil {
		return callResult{}, errRowInvalid(err)
	}
	id, _ := strconv.Atoi(owner)
	c.portal.mu.Lock()
	s, aerr := rowOwnerOf(c, code, id)
	if aerr == nil {
		rows = c.portal.saveRows(s, id, rows, c.user)
	}
	c.portal.mu.Unlock()
	if aerr != nil {
		return callResult{}, aerr
	}
	c.rowsChanged(s, id)
	l := listOf()
	for _, r := range rows {
		l.push(r.itemObj())
	}
	return ok(objOf("productRows", l))
}
