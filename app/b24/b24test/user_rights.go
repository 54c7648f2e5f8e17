package b24test

import "fmt"

// addDenials are the users whose CRM role may not add records of a type
// (the role's "add" permission set to none), by user and entityTypeId.
type addDenials map[[2]int]bool

// DenyAdd takes the right to add records of entity (deal, lead, contact,
// company, quote, smart_invoice or dynamic_{entityTypeId}) from a user's
// CRM role, or gives it back. Administrators keep every right while they
// are administrators: Bitrix24's roles do not bind them.
// https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-add.html
func (p *Portal) DenyAdd(userID int, entity string, deny bool) error {
	et, err := p.entityByName(entity)
	if err != nil {
		return err
	}
	if p.user(userID) == nil {
		return fmt.Errorf("b24test: portal %s has no user %d", p.name, userID)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.noAdd == nil {
		p.noAdd = addDenials{}
	}
	p.noAdd[[2]int{userID, et.id}] = deny
	return nil
}

// mayAdd reports whether u may add records of et; nil (an automation, a
// webhook of the portal) may. The caller holds p.mu.
func (p *Portal) mayAdd(u *user, et *entityType) bool {
	return u == nil || u.admin.Load() || !p.noAdd[[2]int{u.id, et.id}]
}
