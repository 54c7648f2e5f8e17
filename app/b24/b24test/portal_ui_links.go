package b24test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// The linked contacts of a record on its card (deals, leads, companies:
// the owners of a binding family with contacts), changed as
// crm.deal.contact.add/delete change them: the owner is saved and its
// update event fires.

type linksSection struct {
	Links []linkLine
}

type linkLine struct {
	ID      int
	Name    string
	URL     string
	Primary bool
}

// contactBinding is the binding family that links contacts to records of
// the type; false when the type has none.
func contactBinding(et *entityType) (bindingKind, bool) {
	i := slices.IndexFunc(bindingKinds, func(k bindingKind) bool { return k.owner == et.name && k.target == "contact" })
	if i < 0 {
		return bindingKind{}, false
	}
	return bindingKinds[i], true
}

func (ui uiRequest) linksSection(rr recordRef) *linksSection {
	k, ok := contactBinding(rr.et)
	if !ok {
		return nil
	}
	p := ui.portal
	p.mu.Lock()
	defer p.mu.Unlock()
	contacts, e := p.crm[3], uiEntityByName("contact")
	ls := &linksSection{}
	for _, l := range p.links(k, rr.id) {
		line := linkLine{ID: l.id, Primary: l.primary, Name: fmt.Sprintf("Contact #%d", l.id), URL: e.cardPath(l.id)}
		if contacts.exists(l.id) {
			line.Name = recordTitle(e, contacts.record(l.id))
		}
		ls.Links = append(ls.Links, line)
	}
	return ls
}

// editContacts links a contact to the record or unlinks one.
func editContacts(ui uiRequest, r *http.Request, rr recordRef) (string, error) {
	k, ok := contactBinding(rr.et)
	if !ok {
		return "", fmt.Errorf("a %s has no linked contacts", rr.et.name)
	}
	contact, err := strconv.Atoi(r.PostFormValue("contact"))
	if err != nil || contact <= 0 {
		return "", fmt.Errorf("the contact must be a contact's ID")
	}
	op := r.PostFormValue("op")
	if op != "add" && op != "remove" {
		return "", fmt.Errorf("unknown action")
	}
	p := ui.portal
	p.mu.Lock()
	cur := p.links(k, rr.id)
	at := slices.IndexFunc(cur, func(l link) bool { return l.id == contact })
	switch {
	case op == "add" && !p.crm[3].exists(contact):
		err = fmt.Errorf("there is no contact %d", contact)
	case op == "add" && at < 0:
		last := 0
		if len(cur) > 0 {
			last = cur[len(cur)-1].sort
		}
		err = p.setBindings(k, rr.id, append(cur, link{id: contact, sort: last + 10}), ui.user)
	case op == "remove" && at < 0:
		err = fmt.Errorf("contact %d is not linked", contact)
	case op == "remove":
		err = p.setBindings(k, rr.id, slices.Delete(cur, at, at+1), ui.user)
	}
	p.mu.Unlock()
	if err != nil || (op == "add" && at >= 0) {
		return "", err
	}
	p.changed(change{et: rr.et, action: "UPDATE", id: rr.id, actor: ui.user})
	return "", nil
}
