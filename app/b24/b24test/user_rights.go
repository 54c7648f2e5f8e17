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

// DenyRead takes the right to read records of entity from a user's CRM
// role, or gives it back: the type's gets answer "Access denied", its lists
// leave every record out (the rows a user may not read are left out of a
// list) and crm.item.fields, which needs the read right on the type,
// answers "Access denied". Administrators keep every right.
// https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-fields.html
func (p *Portal) DenyRead(userID int, entity string, deny bool) error {
	et, err := p.entityByName(entity)
	if err != nil {
		return err
	}
	u := p.user(userID)
	if u == nil {
		return fmt.Errorf("b24test: portal %s has no user %d", p.name, userID)
	}
	if deny {
		u.noRead.Store(et.id, true)
	} else {
		u.noRead.Delete(et.id)
	}
	return nil
}

// mayReadType reports whether u may read records of et at all; nil (an
// automation, a webhook of the portal) may.
func mayReadType(et *entityType, u *user) bool {
	if u == nil || u.admin.Load() {
		return true
	}
	_, denied := u.noRead.Load(et.id)
	return !denied
}
