package b24test

import (
	"strconv"
	"strings"
)

// legacySelect resolves a legacy select list as crm.deal.list documents
// it: "*" is every standard field except multiple ones (multifields),
// "UF_*" every user field except multiple ones, other names are taken as
// they are; an empty select means "*" and "UF_*".
func legacySelect(et *entityType, sel []string) []*field {
	if len(sel) == 0 {
		sel = []string{"*", "UF_*"}
	}
	want := map[string]bool{}
	for _, s := range sel {
		s = strings.ToUpper(strings.TrimSpace(s))
		switch s {
		case "*":
			for _, f := range et.fields {
				if !f.uf && !f.multiple {
					want[f.name] = true
				}
			}
		case "UF_*":
			for _, f := range et.fields {
				if f.uf && !f.multiple {
					want[f.name] = true
				}
			}
		default:
			if f := et.byName[s]; f != nil && !f.unlisted {
				want[s] = true
			}
		}
	}
	want["ID"] = true
	var out []*field
	for _, f := range et.fields {
		if want[f.name] {
			out = append(out, f)
		}
	}
	return out
}

// legacyValue renders a stored value for the legacy methods: strings,
// null for unset user fields, lists for multiple values.
func legacyValue(f *field, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x == "" && (f.uf || f.typ == "crm_lead" || f.typ == "crm_quote" || f.typ == "location" || f.typ == "file") {
			return nil
		}
		return x
	case []string:
		return listOf(anySlice(x)...)
	case []fmValue:
		l := listOf()
		for _, m := range x {
			l.push(objOf("ID", m.id, "VALUE_TYPE", m.valueType, "VALUE", m.value, "TYPE_ID", m.typeID))
		}
		return l
	}
	return nil
}

func (s *entityStore) legacyObj(id int, fields []*field) *obj {
	o := newObj()
	for _, f := range fields {
		if f.isFile() {
			if v := s.legacyFiles(id, f); v != nil {
				o.set(f.name, v)
			}
			continue
		}
		o.set(f.name, legacyValue(f, s.value(id, f)))
	}
	return o
}

// itemValue renders a stored value for crm.item: numbers as numbers,
// empty as null.
func itemValue(f *field, v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if x == "" || f.typ == "crm_entity" && x == "0" { // a parentId{N} without a parent is null
			return nil
		}
		if f.numeric() {
			if n, err := strconv.ParseInt(x, 10, 64); err == nil {
				return n
			}
			if n, err := strconv.ParseFloat(x, 64); err == nil {
				return n
			}
		}
		return x
	case []string:
		if f.numeric() {
			l := listOf()
			for _, v := range x {
				n, _ := strconv.Atoi(v)
				l.push(n)
			}
			return l
		}
		return listOf(anySlice(x)...)
	}
	return nil
}

// itemSelection is a parsed crm.item select.
type itemSelection struct {
	fields []*field
	fm     bool
	files  fileLinks // how file fields link to their files
}

func itemSelect(et *entityType, sel []string) itemSelection {
	if len(sel) == 0 {
		sel = []string{"*"}
	}
	var out itemSelection
	want := map[string]bool{"ID": true}
	for _, s := range sel {
		if s == "*" {
			out.fm = true
			for _, f := range et.fields {
				want[f.name] = true
			}
			continue
		}
		if f := et.field(s, true); f != nil {
			want[f.name] = true
		}
	}
	for _, f := range et.fields {
		if want[f.name] && !f.isFM() {
			out.fields = append(out.fields, f)
		}
	}
	out.fm = out.fm && et.hasFM
	return out
}

func (s *entityStore) itemObj(id int, sel itemSelection, originalUF bool) *obj {
	o := newObj()
	for _, f := range sel.fields {
		name := f.item
		if f.uf && originalUF {
			name = f.name
		}
		if f.isFile() {
			o.set(name, s.itemFiles(id, f, sel.files))
			continue
		}
		o.set(name, itemValue(f, s.value(id, f)))
	}
	if sel.fm {
		l := listOf()
		for _, name := range multifieldKinds {
			vs, _ := s.value(id, s.et.byName[name]).([]fmValue)
			for _, m := range vs {
				n, _ := strconv.Atoi(m.id)
				l.push(objOf("id", n, "valueType", m.valueType, "value", m.value, "typeId", m.typeID))
			}
		}
		o.set("fm", l)
	}
	if s.et.kind != nil {
		o.set("entityTypeId", s.et.id)
	}
	return o
}

// fieldDescription renders a field as *.fields and crm.item.fields do.
func fieldDescription(f *field, item bool) *obj {
	typ := f.typ
	if item && f.typ == "char" {
		typ = "boolean"
	}
	title := f.title
	if f.uf {
		title = f.name
	}
	o := objOf(
		"type", typ,
		"isRequired", f.required,
		"isReadOnly", f.readOnly,
		"isImmutable", f.immutable,
		"isMultiple", f.multiple,
		"isDynamic", f.uf,
		"title", title,
	)
	if f.deprecated {
		o.set("isDeprecated", true)
	}
	if item {
		o.set("upperName", f.name)
	}
	if f.statusType != "" {
		o.set("statusType", f.statusType)
	}
	if len(f.items) > 0 {
		l := listOf()
		for _, it := range f.items {
			l.push(objOf("ID", it.id, "VALUE", it.value))
		}
		o.set("items", l)
	}
	if f.parentType != 0 {
		o.set("settings", objOf("parentEntityTypeId", f.parentType))
	}
	if f.uf {
		o.set("listLabel", f.label)
		o.set("formLabel", f.label)
		o.set("filterLabel", f.label)
		settings := newObj()
		if f.typ == "enumeration" {
			settings.set("DISPLAY", "LIST")
		}
		o.set("settings", settings)
	}
	return o
}
