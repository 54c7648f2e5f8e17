package b24test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// crm.deal.productrows.get/set and crm.lead.productrows.get/set: the
// deprecated form of the same rows, with UPPER_CASE names and legacy errors
// (https://apidocs.bitrix24.com/api-reference/crm/deals/crm-deal-productrows-set.html).
func init() {
	for _, typeID := range []int{1, 2} {
		code := shortCode(typeID)
		prefix := "crm." + entityTypes[typeID].name + ".productrows."
		register(
			&method{name: prefix + "get", scope: "crm", fn: func(c *call) (callResult, *apiError) { return legacyRowsGet(c, code) }},
			&method{name: prefix + "set", scope: "crm", fn: func(c *call) (callResult, *apiError) { return legacyRowsSet(c, code) }},
		)
	}
}

var errLegacyRowsID = errLegacy("The parameter id is invalid or not defined.")

// legacyRowsOwner checks the id parameter and the owner. Guarded by p.mu.
func legacyRowsOwner(c *call, code string) (*entityStore, int, *apiError) {
	id, err := strconv.Atoi(c.str("id"))
	if err != nil || id <= 0 {
		return nil, 0, errLegacyRowsID
	}
	s := c.portal.rowOwner(code)
	switch {
	case !s.exists(id):
		return nil, 0, errLegacy("Not found")
	case !canRead(s, id, c.user):
		return nil, 0, errLegacy("Access denied")
	}
	return s, id, nil
}

func legacyRowsGet(c *call, code string) (callResult, *apiError) {
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	s, id, aerr := legacyRowsOwner(c, code)
	if aerr != nil {
		return callResult{}, aerr
	}
	l := listOf()
	for _, r := range c.portal.ownerRows(s, id) {
		l.push(r.legacyObj())
	}
	return ok(l)
}

// legacyRowsSet replaces the rows; rows that are missing or not an array
// count as none, so every row is removed.
func legacyRowsSet(c *call, code string) (callResult, *apiError) {
	list := c.obj("rows")
	if list == nil {
		list = listOf()
	}
	rows, err := parseRows(list, true)
	if err != nil {
		return callResult{}, newErr(http.StatusBadRequest, "ERROR_CORE", err.Error())
	}
	c.portal.mu.Lock()
	s, id, aerr := legacyRowsOwner(c, code)
	if aerr == nil {
		c.portal.saveRows(s, id, rows, c.user)
	}
	c.portal.mu.Unlock()
	if aerr != nil {
		return callResult{}, aerr
	}
	c.rowsChanged(s, id)
	return ok(true)
}

// rowsOf resolves a record with rows for the Go and control API; the type
// is resolved before p.mu is taken (entityByName takes it), the rest is
// guarded by p.mu.
func (p *Portal) rowsOf(et *entityType, entity string, id int) (*entityStore, error) {
	s := p.rowOwner(shortCode(et.id))
	if s == nil {
		return nil, fmt.Errorf("b24test: a %s has no product rows", entity)
	}
	if !s.exists(id) {
		return nil, fmt.Errorf("b24test: %s %d not found", entity, id)
	}
	return s, nil
}

// SetProductRows replaces the product rows of a record (a deal, lead,
// quote, smart invoice or smart-process item) as a person
// (userID) or an automation (Automation) would in its card, with the
// field names of crm.deal.productrows.set. The record is saved as a row
// change through REST saves it, and its update event fires.
func (p *Portal) SetProductRows(entity string, id, userID int, rows []map[string]any) error {
	b, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("b24test: encode rows: %w", err)
	}
	v, err := decodeJSON(b)
	if err != nil {
		return fmt.Errorf("b24test: decode rows: %w", err)
	}
	list := asObj(v)
	if list == nil {
		list = listOf()
	}
	return p.setRowsObj(entity, id, userID, list)
}

func (p *Portal) setRowsObj(entity string, id, userID int, list *obj) error {
	u, err := p.actor(userID)
	if err != nil {
		return err
	}
	rows, err := parseRows(list, true)
	if err != nil {
		return fmt.Errorf("b24test: rows of %s %d: %w", entity, id, err)
	}
	et, err := p.entityByName(entity)
	if err != nil {
		return err
	}
	p.mu.Lock()
	s, err := p.rowsOf(et, entity, id)
	if err == nil {
		p.saveRows(s, id, rows, u)
	}
	p.mu.Unlock()
	if err != nil {
		return err
	}
	p.changed(change{et: s.et, action: "UPDATE", id: id, actor: u})
	return nil
}

// ProductRows returns the product rows of a record as
// crm.deal.productrows.get renders them, or false when it does not exist.
func (p *Portal) ProductRows(entity string, id int) ([]map[string]any, bool) {
	et, err := p.entityByName(entity)
	if err != nil {
		return nil, false
	}
	p.mu.Lock()
	s, err := p.rowsOf(et, entity, id)
	var l *obj
	if err == nil {
		l = listOf()
		for _, r := range p.ownerRows(s, id) {
			l.push(r.legacyObj())
		}
	}
	p.mu.Unlock()
	if err != nil {
		return nil, false
	}
	b, _ := json.Marshal(l)
	var out []map[string]any
	_ = json.Unmarshal(b, &out)
	return out, true
}

// ctlProductRows serves GET and PUT
// /_emulator/portals/{portal}/records/{entity}/{id}/productrows; PUT takes
// {"user_id": N, "rows": [...]}.
func ctlProductRows(w http.ResponseWriter, r *http.Request, p *Portal) {
	id, _ := strconv.Atoi(r.PathValue("id"))
	entity := r.PathValue("entity")
	if r.Method == http.MethodGet {
		rows, found := p.ProductRows(entity, id)
		if !found {
			ctlError(w, http.StatusNotFound, fmt.Errorf("b24test: %s %d has no product rows", entity, id))
			return
		}
		writeJSON(w, http.StatusOK, rows)
		return
	}
	var body struct {
		UserID int             `json:"user_id"`
		Rows   json.RawMessage `json:"rows"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&body); err != nil {
		ctlError(w, http.StatusBadRequest, err)
		return
	}
	list := listOf()
	if len(body.Rows) > 0 {
		v, err := decodeJSON(body.Rows)
		if err != nil || (v != nil && asObj(v) == nil) {
			ctlError(w, http.StatusBadRequest, fmt.Errorf("b24test: rows must be an array"))
			return
		}
		if o := asObj(v); o != nil {
			list = o
		}
	}
	ctlDone(w, p.setRowsObj(entity, id, body.UserID, list))
}
