package b24test

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Binding methods: crm.{owner}.{target}.fields, add, delete, items.get,
// items.set and items.delete
// (https://apidocs.bitrix24.com/api-reference/crm/deals/contacts/index.html
// and the lead, estimate, contact and company pages). The owner's link list field
// (CONTACT_IDS, COMPANY_IDS, a company's CONTACT_ID) holds the linked ids
// ordered by SORT and its deprecated single link (CONTACT_ID, COMPANY_ID)
// the primary one, so crm.X.get, crm.item and the binding methods read one
// truth; only SORT values that differ from the default are kept aside.

// bindingKind is one family of binding methods.
type bindingKind struct {
	owner, target string // the type names in the method name
	key           string // the item key: CONTACT_ID or COMPANY_ID
	list          string // the owner's field holding the linked ids
	single        string // the owner's deprecated primary link, "" when none
}

var bindingKinds = []bindingKind{
	{owner: "deal", target: "contact", key: "CONTACT_ID", list: "CONTACT_IDS", single: "CONTACT_ID"},
	{owner: "lead", target: "contact", key: "CONTACT_ID", list: "CONTACT_IDS", single: "CONTACT_ID"},
	{owner: "quote", target: "contact", key: "CONTACT_ID", list: "CONTACT_IDS", single: "CONTACT_ID"},
	{owner: "contact", target: "company", key: "COMPANY_ID", list: "COMPANY_IDS", single: "COMPANY_ID"},
	{owner: "company", target: "contact", key: "CONTACT_ID", list: "CONTACT_ID"},
}

// crmStore is the one place links and files ask which store, and so which
// type, a key means on a portal: an entityTypeId ("2", "128") or the
// type's name in method names and addresses ("deal", "quote",
// "smart_invoice", "dynamic_128"), found through Portal.crmType; nil when
// the portal has none. p.mu must be held.
func crmStore(p *Portal, key string) *entityStore {
	id, err := strconv.Atoi(strings.TrimPrefix(key, "dynamic_"))
	if err != nil {
		id = 0
		if et := entityTypeByName(key); et != nil {
			id = et.id
		}
		for n, et := range universalTypes {
			if et.name == key {
				id = n
			}
		}
	}
	et := p.crmType(id)
	if et == nil || strings.HasPrefix(key, "dynamic_") && (et.kind == nil || et.kind.settingsID == 0) {
		return nil
	}
	return p.crm[et.id]
}

// link is one linked record as the binding methods show it.
type link struct {
	id      int
	sort    int
	primary bool
}

// linkKey names one owner's link list.
type linkKey struct {
	ownerType, owner int
}

// linkSorts are the SORT values of link lists set through the binding
// methods, with the ids they belonged to: valid only while the list still
// holds those ids in that order (an update of the list field renumbers).
type linkSorts map[linkKey][]link

func init() {
	for _, k := range bindingKinds {
		k := k
		prefix := "crm." + k.owner + "." + k.target + "."
		register(
			&method{name: prefix + "fields", scope: "crm", fn: func(c *call) (callResult, *apiError) { return bindingFields(k) }},
			&method{name: prefix + "items.get", scope: "crm", fn: func(c *call) (callResult, *apiError) { return bindingItemsGet(c, k) }},
			&method{name: prefix + "items.set", scope: "crm", fn: func(c *call) (callResult, *apiError) { return bindingItemsSet(c, k) }},
			&method{name: prefix + "items.delete", scope: "crm", fn: func(c *call) (callResult, *apiError) { return bindingItemsDelete(c, k) }},
			&method{name: prefix + "add", scope: "crm", fn: func(c *call) (callResult, *apiError) { return bindingAdd(c, k) }},
			&method{name: prefix + "delete", scope: "crm", fn: func(c *call) (callResult, *apiError) { return bindingDelete(c, k) }},
		)
	}
}

var (
	errBindingOwner  = errLegacy("The parameter ownerEntityID is invalid or not defined.")
	errBindingItems  = errLegacy("The parameter items must be array.")
	errBindingFields = errLegacy("The parameter 'fields' is not valid.")
	errBindingDenied = errLegacy("Access denied.")
	errBindingGone   = errLegacy("Not found.")
)

func bindingFields(k bindingKind) (callResult, *apiError) {
	desc := func(typ, title string, required bool) *obj {
		return objOf("type", typ, "isRequired", required, "isReadOnly", false, "isImmutable", false, "isMultiple", false, "isDynamic", false, "title", title)
	}
	target := "Contact"
	if k.key == "COMPANY_ID" {
		target = "Company"
	}
	return ok(objOf("SORT", desc("integer", "Sort", false), "IS_PRIMARY", desc("char", "Primary", false), k.key, desc("integer", target, true)))
}

// bindingOwner checks the id parameter and the owner under the lock.
func bindingOwner(c *call, k bindingKind) (*entityStore, int, *apiError) {
	id, err := strconv.Atoi(c.str("id"))
	if err != nil || id <= 0 {
		return nil, 0, errBindingOwner
	}
	s := crmStore(c.portal, k.owner)
	switch {
	case s == nil || !s.exists(id):
		return nil, 0, errBindingGone
	case !canRead(s, id, c.user):
		return nil, 0, errBindingDenied
	}
	return s, id, nil
}

// bindings reads an owner's links, ordered by SORT.
func (p *Portal) links(k bindingKind, owner int) []link {
	s := crmStore(p, k.owner)
	ids := storedIDs(s.value(owner, s.et.byName[k.list]))
	primary := ""
	if k.single != "" {
		primary = str(s.value(owner, s.et.byName[k.single]))
	}
	if !slices.Contains(ids, primary) && len(ids) > 0 {
		primary = ids[0]
	}
	kept := p.linkSorts[linkKey{s.et.id, owner}]
	same := len(kept) == len(ids)
	out := make([]link, len(ids))
	for i, v := range ids {
		n, _ := strconv.Atoi(v)
		out[i] = link{id: n, sort: (i + 1) * 10, primary: v == primary}
		same = same && kept[i].id == n
	}
	if same {
		for i := range out {
			out[i].sort = kept[i].sort
		}
	}
	return out
}

// setBindings stores an owner's links as an update of the owner: the list
// field ordered by SORT, the primary link in the single field. The first
// primary wins; without one the first link is primary.
func (p *Portal) setBindings(k bindingKind, owner int, bs []link, actor *user) error {
	sort.SliceStable(bs, func(a, b int) bool { return bs[a].sort < bs[b].sort })
	primary := slices.IndexFunc(bs, func(b link) bool { return b.primary })
	if primary < 0 && len(bs) > 0 {
		primary = 0
	}
	ids := listOf()
	for i := range bs {
		bs[i].primary = i == primary
		ids.push(strconv.Itoa(bs[i].id))
	}
	s := crmStore(p, k.owner)
	if err := p.updateRecord(s.et, owner, objOf(k.list, ids), false, actor); err != nil {
		return err
	}
	if k.single != "" {
		s.over[owner][k.single] = "0"
		if primary >= 0 {
			s.over[owner][k.single] = strconv.Itoa(bs[primary].id)
		}
	}
	if p.linkSorts == nil {
		p.linkSorts = linkSorts{}
	}
	p.linkSorts[linkKey{s.et.id, owner}] = bs
	return nil
}

// bindingInput reads one {KEY, SORT, IS_PRIMARY} object; the linked
// record must exist.
func (p *Portal) bindingInput(k bindingKind, v any) (b link, sortGiven, primaryGiven bool, aerr *apiError) {
	o := asObj(v)
	if o == nil {
		return link{}, false, false, errBindingFields
	}
	id, err := strconv.Atoi(str(valueCI(o, k.key)))
	if err != nil || id <= 0 {
		return link{}, false, false, errBindingFields
	}
	if s := crmStore(p, k.target); s == nil || !s.exists(id) {
		return link{}, false, false, errBindingGone
	}
	b.id = id
	if v := str(valueCI(o, "SORT")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return link{}, false, false, errBindingFields
		}
		b.sort, sortGiven = n, true
	}
	pv := str(valueCI(o, "IS_PRIMARY"))
	b.primary, primaryGiven = pv == "Y", pv != ""
	return b, sortGiven, primaryGiven, nil
}

func bindingItemsGet(c *call, k bindingKind) (callResult, *apiError) {
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	_, id, aerr := bindingOwner(c, k)
	if aerr != nil {
		return callResult{}, aerr
	}
	c.cost += c.srv.opts.Cost.PerRow
	out := listOf()
	for _, b := range c.portal.links(k, id) {
		out.push(objOf(k.key, b.id, "SORT", b.sort, "ROLE_ID", 0, "IS_PRIMARY", map[bool]string{true: "Y", false: "N"}[b.primary]))
	}
	return ok(out)
}

// bindingWrite runs a change of an owner's links under the lock and, when
// edit changed something, saves it as an update of the owner and sends
// the owner's update event.
func bindingWrite(c *call, k bindingKind, edit func(cur []link) ([]link, bool, *apiError)) (callResult, *apiError) {
	c.portal.mu.Lock()
	s, id, aerr := bindingOwner(c, k)
	changed := false
	if aerr == nil {
		var next []link
		next, changed, aerr = edit(c.portal.links(k, id))
		if aerr == nil && changed {
			if err := c.portal.setBindings(k, id, next, c.user); err != nil {
				aerr = errLegacy(err.Error())
			}
		}
	}
	c.portal.mu.Unlock()
	if aerr != nil {
		return callResult{}, aerr
	}
	if changed {
		c.portal.changed(change{et: s.et, action: "UPDATE", id: id, actor: c.user, byApp: c.app, connector: c.str("auth_connector")})
	}
	return ok(changed)
}

func bindingItemsSet(c *call, k bindingKind) (callResult, *apiError) {
	res, aerr := bindingWrite(c, k, func(cur []link) ([]link, bool, *apiError) {
		v, _ := c.param("items")
		items := asObj(v)
		if items == nil {
			return nil, false, errBindingItems
		}
		var next []link
		for i, x := range items.values() {
			b, sortGiven, _, aerr := c.portal.bindingInput(k, x)
			if aerr != nil {
				return nil, false, aerr
			}
			if !sortGiven {
				b.sort = (i + 1) * 10
			}
			if !slices.ContainsFunc(next, func(n link) bool { return n.id == b.id }) {
				next = append(next, b)
			}
		}
		if len(next) > 0 && !slices.ContainsFunc(next, func(n link) bool { return n.primary }) {
			next[0].primary = true // the first given, whatever its SORT
		}
		return next, true, nil
	})
	if aerr != nil {
		return res, aerr
	}
	return ok(true)
}

func bindingItemsDelete(c *call, k bindingKind) (callResult, *apiError) {
	res, aerr := bindingWrite(c, k, func(cur []link) ([]link, bool, *apiError) {
		return nil, len(cur) > 0, nil
	})
	if aerr != nil {
		return res, aerr
	}
	return ok(true)
}

func bindingAdd(c *call, k bindingKind) (callResult, *apiError) {
	return bindingWrite(c, k, func(cur []link) ([]link, bool, *apiError) {
		b, sortGiven, primaryGiven, aerr := c.portal.bindingInput(k, c.obj("fields"))
		if aerr != nil {
			return nil, false, aerr
		}
		if slices.ContainsFunc(cur, func(n link) bool { return n.id == b.id }) {
			return nil, false, nil
		}
		if !sortGiven {
			b.sort = 10
			if len(cur) > 0 {
				b.sort = cur[len(cur)-1].sort + 10
			}
		}
		if !primaryGiven && len(cur) == 0 {
			b.primary = true
		}
		if b.primary {
			for i := range cur {
				cur[i].primary = false
			}
			return append([]link{b}, cur...), true, nil // a tie in SORT goes to the new primary
		}
		return append(cur, b), true, nil
	})
}

func bindingDelete(c *call, k bindingKind) (callResult, *apiError) {
	return bindingWrite(c, k, func(cur []link) ([]link, bool, *apiError) {
		o := c.obj("fields")
		if o == nil {
			return nil, false, errBindingFields
		}
		id, err := strconv.Atoi(str(valueCI(o, k.key)))
		if err != nil || id <= 0 {
			return nil, false, errBindingFields
		}
		i := slices.IndexFunc(cur, func(n link) bool { return n.id == id })
		if i < 0 {
			return nil, false, nil
		}
		return slices.Delete(cur, i, i+1), true, nil
	})
}

// genLinks is the seeded link list: the record of genRef with the same
// salt first (the primary one, as the single link field names it), and
// for a fifth of the linked records one or two more.
func genLinks(salt uint64, target int) genFunc {
	one := genRef(salt, target)
	return func(g *genCtx, id int) any {
		v := one(g, id).(string)
		if v == "0" {
			return []string(nil)
		}
		out := []string{v}
		if g.n(id, 530+salt, 5) != 0 {
			return out
		}
		for k := range 1 + g.n(id, 531+salt, 2) {
			more := strconv.Itoa(1 + g.n(id, 540+salt+uint64(k), g.counts[target]))
			if !slices.Contains(out, more) {
				out = append(out, more)
			}
		}
		return out
	}
}

// A contact's companies and a company's contacts are one relation in
// Bitrix24, read from both sides: the contact's COMPANY_IDS and the
// company's CONTACT_ID hold the same pairs.
var mirrors = []struct{ from, field, to, other string }{
	{from: "contact", field: "COMPANY_IDS", to: "company", other: "CONTACT_ID"},
	{from: "company", field: "CONTACT_ID", to: "contact", other: "COMPANY_IDS"},
}

// mirrorLinks carries a change of one side's list into the records on the
// other side; it runs before s stores rec for id, so s still holds the
// old list. The other side's records change silently: no modification
// date, no event.
func (p *Portal) mirrorLinks(s *entityStore, id int, rec map[string]any) {
	for _, m := range mirrors {
		if crmStore(p, m.from) != s {
			continue
		}
		var old []string
		if s.exists(id) {
			old = storedIDs(s.value(id, s.et.byName[m.field]))
		}
		now := storedIDs(rec[m.field])
		other := crmStore(p, m.to)
		for _, v := range now {
			if !slices.Contains(old, v) {
				mirrorOne(other, v, m.other, id, true)
			}
		}
		for _, v := range old {
			if !slices.Contains(now, v) {
				mirrorOne(other, v, m.other, id, false)
			}
		}
	}
}

// mirrorOne adds id to, or removes it from, the list field of record key
// of s; the record's single link, if it has one, stays on its primary
// while that remains linked.
func mirrorOne(s *entityStore, key, field string, id int, add bool) {
	n, err := strconv.Atoi(key)
	if err != nil || !s.exists(n) {
		return
	}
	rec := s.record(n)
	ids := slices.Clone(storedIDs(rec[field]))
	me := strconv.Itoa(id)
	i := slices.Index(ids, me)
	switch {
	case add && i < 0:
		ids = append(ids, me)
	case !add && i >= 0:
		ids = slices.Delete(ids, i, i+1)
	default:
		return
	}
	rec[field] = ids
	for _, k := range bindingKinds {
		if k.owner == s.et.name && k.list == field && k.single != "" && !slices.Contains(ids, str(rec[k.single])) {
			rec[k.single] = "0"
			if len(ids) > 0 {
				rec[k.single] = ids[0]
			}
		}
	}
	s.over[n] = rec
}

// Seeded contact–company pairs are computed from either side: contact c
// (up to three times the number of companies) belongs to company
// 1 + (c-1) mod companies, three times in four.
func genContactCompany(g *genCtx, id int) any {
	n := g.counts[4]
	if n == 0 || id > 3*n || g.n(id, 513, 4) == 0 {
		return "0"
	}
	return strconv.Itoa(1 + (id-1)%n)
}

func genContactCompanies(g *genCtx, id int) any {
	if v := genContactCompany(g, id).(string); v != "0" {
		return []string{v}
	}
	return []string(nil)
}

// genCompanyContacts asks the few contacts that can belong to the company.
func genCompanyContacts(g *genCtx, id int) any {
	contacts := *g
	contacts.et, contacts.count = 3, g.counts[3]
	n := g.counts[4]
	var out []string
	for c := id; c <= min(3*n, contacts.count); c += n {
		if genContactCompany(&contacts, c) == strconv.Itoa(id) {
			out = append(out, strconv.Itoa(c))
		}
	}
	return out
}
