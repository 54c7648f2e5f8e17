package b24test

import (
	"encoding/json"
	"fmt"
)

// Automation is the user id that means "changed by an automation rule":
// the change fires events whose auth carries no tokens.
const Automation = 0

// toObj converts Go maps and slices (or JSON-decoded values) to the
// emulator's ordered model; map keys come out sorted, which is fine for
// record fields.
func toObj(fields map[string]any) (*obj, error) {
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("b24test: encode fields: %w", err)
	}
	v, err := decodeJSON(b)
	if err != nil {
		return nil, fmt.Errorf("b24test: decode fields: %w", err)
	}
	return asObj(v), nil
}

func (p *Portal) actor(userID int) (*user, error) {
	if userID == Automation {
		return nil, nil
	}
	u := p.user(userID)
	if u == nil {
		return nil, fmt.Errorf("b24test: portal %s has no user %d", p.name, userID)
	}
	return u, nil
}

// AddRecord creates a record as a person (userID) or an automation
// (Automation) would in the portal UI, with legacy field names, and fires
// the events. entity is deal, lead, contact,
// company, quote, smart_invoice or dynamic_{entityTypeId}.
func (p *Portal) AddRecord(entity string, userID int, fields map[string]any) (int, error) {
	in, err := toObj(fields)
	if err != nil {
		return 0, err
	}
	return p.addRecordObj(entity, userID, in)
}

func (p *Portal) addRecordObj(entity string, userID int, in *obj) (int, error) {
	et, err := p.entityByName(entity)
	if err != nil {
		return 0, err
	}
	u, err := p.actor(userID)
	if err != nil {
		return 0, err
	}
	p.mu.Lock()
	id, err := p.addRecord(et, in, false, u)
	p.mu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("b24test: add %s: %w", entity, err)
	}
	p.changed(change{et: et, action: "ADD", id: id, actor: u})
	return id, nil
}

// UpdateRecord changes a record as a person or an automation would and
// fires the events.
func (p *Portal) UpdateRecord(entity string, id, userID int, fields map[string]any) error {
	in, err := toObj(fields)
	if err != nil {
		return err
	}
	return p.updateRecordObj(entity, id, userID, in)
}

func (p *Portal) updateRecordObj(entity string, id, userID int, in *obj) error {
	et, err := p.entityByName(entity)
	if err != nil {
		return err
	}
	u, err := p.actor(userID)
	if err != nil {
		return err
	}
	p.mu.Lock()
	if !p.crm[et.id].exists(id) {
		p.mu.Unlock()
		return fmt.Errorf("b24test: %s %d not found", entity, id)
	}
	err = p.updateRecord(et, id, in, false, u)
	p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("b24test: update %s %d: %w", entity, id, err)
	}
	p.changed(change{et: et, action: "UPDATE", id: id, actor: u})
	return nil
}

// DeleteRecord deletes a record and fires the events.
func (p *Portal) DeleteRecord(entity string, id, userID int) error {
	et, err := p.entityByName(entity)
	if err != nil {
		return err
	}
	u, err := p.actor(userID)
	if err != nil {
		return err
	}
	p.mu.Lock()
	s := p.crm[et.id]
	if !s.exists(id) {
		p.mu.Unlock()
		return fmt.Errorf("b24test: %s %d not found", entity, id)
	}
	s.remove(id)
	p.mu.Unlock()
	p.changed(change{et: et, action: "DELETE", id: id, actor: u})
	return nil
}

// Record returns a record's fields in the legacy form (as crm.X.get), or
// false when it does not exist.
func (p *Portal) Record(entity string, id int) (map[string]any, bool) {
	et, err := p.entityByName(entity)
	if err != nil {
		return nil, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.crm[et.id]
	if !s.exists(id) {
		return nil, false
	}
	b, _ := json.Marshal(s.legacyObj(id, et.got))
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m, true
}
