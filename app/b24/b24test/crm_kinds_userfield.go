package b24test

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// userfieldconfig.*: the user fields of smart processes, and the
// ONCRMTYPEUSERFIELD* events their changes fire
// (https://apidocs.bitrix24.com/api-reference/crm/universal/userfieldconfig/index.html).
func init() {
	register(
		&method{name: "userfieldconfig.list", scope: "userfieldconfig", fn: ufConfigList},
		&method{name: "userfieldconfig.get", scope: "userfieldconfig", fn: ufConfigGet},
		&method{name: "userfieldconfig.add", scope: "userfieldconfig", fn: ufConfigAdd},
		&method{name: "userfieldconfig.update", scope: "userfieldconfig", fn: ufConfigUpdate},
		&method{name: "userfieldconfig.delete", scope: "userfieldconfig", fn: ufConfigDelete},
	)
}

// ufConfig is a smart process's user field with its settings record.
type ufConfig struct {
	id        int
	f         *field
	sort      int
	mandatory bool
	xmlID     string
}

var (
	errUFView   = newErr(http.StatusBadRequest, "", "You do not have permission to view user field settings")
	errUFScope  = newErr(http.StatusBadRequest, "", "The current method required more scopes. (crm)")
	errUFAccess = newErr(http.StatusBadRequest, "", "No settings for UserFieldAccess")
	ufNameRE    = regexp.MustCompile(`^[A-Z0-9_]{1,50}$`)
)

// ufTypes are the userTypeId values a field may have, with how crm.item
// describes them.
var ufTypes = []string{"string", "integer", "double", "boolean", "date", "datetime", "enumeration", "money", "file", "crm", "employee", "url"}

// ufCall checks moduleId and the crm scope every userfieldconfig method
// needs besides its own.
func ufCall(c *call) *apiError {
	if !c.hasScope("crm") || !strings.EqualFold(c.str("moduleId"), "crm") {
		return errUFScope
	}
	return nil
}

// ufByID finds a user field of the portal's smart processes; p.mu held.
func (p *Portal) ufByID(id int) (*entityType, *ufConfig) {
	for _, et := range p.spas {
		for _, u := range et.kind.ufs {
			if u.id == id {
				return et, u
			}
		}
	}
	return nil, nil
}

func ufObj(et *entityType, u *ufConfig, withEnum bool) *obj {
	label := objOf("en", u.f.label)
	o := objOf("id", u.id, "entityId", et.ufEntity, "fieldName", u.f.name, "userTypeId", u.f.typ, "xmlId", u.xmlID,
		"sort", u.sort, "multiple", yn(u.f.multiple), "mandatory", yn(u.mandatory), "showFilter", "N", "showInList", "Y",
		"editInList", "Y", "isSearchable", "N", "settings", newObj(), "languageId", objOf("en", "en"),
		"editFormLabel", label, "listColumnLabel", label, "listFilterLabel", label, "errorMessage", newObj(), "helpMessage", newObj())
	if withEnum && u.f.typ == "enumeration" {
		l := listOf()
		for i, it := range u.f.items {
			l.push(objOf("id", it.id, "userFieldId", u.id, "value", it.value, "def", "N", "sort", (i+1)*100, "xmlId", it.id))
		}
		o.set("enum", l)
	}
	return o
}

func ufConfigList(c *call) (callResult, *apiError) {
	if aerr := ufCall(c); aerr != nil {
		return callResult{}, aerr
	}
	want := ""
	if f := c.obj("filter"); f != nil {
		want = str(valueCI(f, "entityId"))
	}
	out := listOf()
	c.portal.mu.Lock()
	for _, et := range c.portal.sortedSPAs() {
		for _, u := range et.kind.ufs {
			if want == "" || want == et.ufEntity {
				out.push(ufObj(et, u, false))
			}
		}
	}
	c.portal.mu.Unlock()
	return callResult{value: objOf("fields", out), total: out.len(), hasTotal: true}, nil
}

func ufConfigGet(c *call) (callResult, *apiError) {
	if aerr := ufCall(c); aerr != nil {
		return callResult{}, aerr
	}
	id, _ := strconv.Atoi(c.str("id"))
	c.portal.mu.Lock()
	defer c.portal.mu.Unlock()
	et, u := c.portal.ufByID(id)
	if u == nil {
		return callResult{}, errUFView
	}
	return ok(objOf("field", ufObj(et, u, true)))
}

// ufEnum reads enum: [{value, xmlId…}] into list items with new ids.
func (p *Portal) ufEnum(in *obj) []enumItem {
	var items []enumItem
	for _, x := range in.values() {
		v := str(valueCI(asObj(x), "value"))
		if v == "" {
			continue
		}
		p.seq.uf++
		items = append(items, enumItem{id: strconv.Itoa(p.seq.uf), value: v})
	}
	return items
}

func ufConfigAdd(c *call) (callResult, *apiError) {
	if aerr := ufCall(c); aerr != nil {
		return callResult{}, aerr
	}
	if !c.user.admin.Load() {
		return callResult{}, errUFAccess
	}
	in := c.obj("field")
	if in == nil {
		return callResult{}, errArgument("Required field `field` is empty", "field")
	}
	entity, name, typ := str(valueCI(in, "entityId")), strings.ToUpper(str(valueCI(in, "fieldName"))), str(valueCI(in, "userTypeId"))
	p := c.portal
	p.mu.Lock()
	et := p.spaByUFEntity(entity)
	switch {
	case et == nil:
		p.mu.Unlock()
		return callResult{}, errUFAccess
	case !strings.HasPrefix(name, "UF_"+entity+"_") || !ufNameRE.MatchString(name) || et.byName[name] != nil:
		p.mu.Unlock()
		return callResult{}, newErr(http.StatusBadRequest, "", "Invalid field name "+name)
	case !slices.Contains(ufTypes, typ):
		p.mu.Unlock()
		return callResult{}, newErr(http.StatusBadRequest, "", "Unknown user type "+typ)
	}
	label := str(valueCI(asObj(valueCI(in, "editFormLabel")), "en"))
	if label == "" {
		label = name
	}
	f := &field{name: name, typ: typ, uf: true, multiple: flagValue(valueCI(in, "multiple")), label: label, gen: genEmpty}
	if f.multiple {
		f.gen = genNoRefs
	}
	enum := asObj(valueCI(in, "enum"))
	if typ == "enumeration" && enum != nil {
		f.items = p.ufEnum(enum)
	}
	p.seq.uf++
	sortN, _ := strconv.Atoi(str(valueCI(in, "sort")))
	u := &ufConfig{id: p.seq.uf, f: f, sort: max(sortN, 100), mandatory: flagValue(valueCI(in, "mandatory")), xmlID: str(valueCI(in, "xmlId"))}
	et.kind.ufs = append(et.kind.ufs, u)
	et = p.rebuildSPA(et)
	out := ufObj(et, u, true)
	p.mu.Unlock()
	p.ufChanged(et, u, "ADD", c)
	if f.typ == "enumeration" && enum != nil {
		p.ufChanged(et, u, "SETENUMVALUES", c)
	}
	return ok(objOf("field", out))
}

func ufConfigUpdate(c *call) (callResult, *apiError) {
	if aerr := ufCall(c); aerr != nil {
		return callResult{}, aerr
	}
	if !c.user.admin.Load() {
		return callResult{}, errUFAccess
	}
	id, _ := strconv.Atoi(c.str("id"))
	in := c.obj("field")
	if in == nil {
		in = newObj()
	}
	p := c.portal
	p.mu.Lock()
	et, u := p.ufByID(id)
	if u == nil {
		p.mu.Unlock()
		return callResult{}, errUFView
	}
	f := *u.f // the current type's field is read unlocked
	u.f = &f
	settings := false
	for _, k := range in.keys {
		v := in.m[k]
		switch strings.ToLower(k) {
		case "enum":
		case "editformlabel":
			if l := str(valueCI(asObj(v), "en")); l != "" {
				u.f.label = l
			}
			settings = true
		case "sort":
			u.sort, _ = strconv.Atoi(str(v))
			settings = true
		case "mandatory":
			u.mandatory = flagValue(v)
			settings = true
		case "xmlid":
			u.xmlID = str(v)
			settings = true
		default:
			settings = true
		}
	}
	enum := asObj(valueCI(in, "enum"))
	if u.f.typ == "enumeration" && enum != nil {
		u.f.items = p.ufEnum(enum)
	}
	et = p.rebuildSPA(et)
	out := ufObj(et, u, true)
	p.mu.Unlock()
	if settings {
		p.ufChanged(et, u, "UPDATE", c)
	}
	if u.f.typ == "enumeration" && enum != nil {
		p.ufChanged(et, u, "SETENUMVALUES", c)
	}
	return ok(objOf("field", out))
}

func ufConfigDelete(c *call) (callResult, *apiError) {
	if aerr := ufCall(c); aerr != nil {
		return callResult{}, aerr
	}
	if !c.user.admin.Load() {
		return callResult{}, errUFAccess
	}
	id, _ := strconv.Atoi(c.str("id"))
	p := c.portal
	p.mu.Lock()
	et, u := p.ufByID(id)
	if u == nil {
		p.mu.Unlock()
		return callResult{}, errUFView
	}
	et.kind.ufs = slices.DeleteFunc(et.kind.ufs, func(x *ufConfig) bool { return x == u })
	et = p.rebuildSPA(et)
	p.mu.Unlock()
	p.ufChanged(et, u, "DELETE", c)
	return ok(nil)
}

// spaByUFEntity finds a smart process by its user-field object CRM_{id};
// p.mu held.
func (p *Portal) spaByUFEntity(entity string) *entityType {
	for _, et := range p.spas {
		if et.ufEntity == entity {
			return et
		}
	}
	return nil
}

// rebuildSPA remakes a smart process's fields from its switches and user
// fields, and points its store at it; p.mu held. The fields are copies:
// calls that still hold the old type read the old ones unlocked.
func (p *Portal) rebuildSPA(old *entityType) *entityType {
	ufs := make([]*field, len(old.kind.ufs))
	for i, u := range old.kind.ufs {
		f := *u.f
		u.f = &f
		ufs[i] = u.f
	}
	et := newSPAType(old.id, old.kind, ufs)
	p.spas[et.id] = et
	p.crm[et.id].et = et
	return et
}

// ufChanged fires ONCRMTYPEUSERFIELD{ACTION}: the field id, its object
// and its name.
func (p *Portal) ufChanged(et *entityType, u *ufConfig, action string, c *call) {
	ev := crmEvent{name: "ONCRMTYPEUSERFIELD" + action, extra: [][2]string{{"ENTITY_ID", et.ufEntity}, {"FIELD_NAME", u.f.name}}}
	p.fire(ev, change{action: action, id: u.id, actor: c.user, byApp: c.app, connector: c.str("auth_connector")})
}
