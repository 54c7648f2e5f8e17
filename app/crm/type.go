// Package crm is Trail's vocabulary for the portal's CRM: which kinds of
// records there are and how Bitrix24 names each of them in its methods,
// events, placements and values. It imports only the standard library.
package crm

import (
	"database/sql/driver"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Type is a kind of CRM record, identified as the portal identifies it: by
// its entityTypeId (1 lead, 2 deal, 3 contact, 4 company, 7 quote, 31 smart
// invoice; smart processes get numbers the portal chooses). See
// https://apidocs.bitrix24.com/api-reference/crm/data-types.html
type Type int

// The types Bitrix24 fixes.
const (
	Lead         Type = 1
	Deal         Type = 2
	Contact      Type = 3
	Company      Type = 4
	Quote        Type = 7
	SmartInvoice Type = 31
)

// firstDynamic is the lowest entityTypeId a smart process can get. The
// documentation gives 128–192 and, on some portals, 1030 and above; Trail
// takes every id from 128 on as a smart process, since the portal chooses.
// https://apidocs.bitrix24.com/api-reference/crm/universal/user-defined-object-types/crm-type-add.html
const firstDynamic Type = 128

// Types are the types Trail records on every portal from its install, in
// display order. Estimates, smart invoices and smart processes join them
// per portal once setup finds them (see Sort).
var Types = []Type{Deal, Lead, Contact, Company}

// fixed are the types whose names Bitrix24 fixes, in display order.
var fixed = []Type{Deal, Lead, Contact, Company, Quote, SmartInvoice}

// builtin describes the types whose names Bitrix24 fixes.
type builtin struct {
	name  string // Trail's name, used in URLs and forms: "deal"
	upper string // the name in method, event and placement codes: "DEAL"
	short string // the prefix of a CRM link value ("D_12"): "D"
}

var builtins = map[Type]builtin{
	Lead:         {"lead", "LEAD", "L"},
	Deal:         {"deal", "DEAL", "D"},
	Contact:      {"contact", "CONTACT", "C"},
	Company:      {"company", "COMPANY", "CO"},
	Quote:        {"quote", "QUOTE", "Q"},
	SmartInvoice: {"smart_invoice", "SMART_INVOICE", "SI"},
}

// dynamicPrefix starts a smart process's symbolic code ("DYNAMIC_156") and,
// lower-cased, Trail's name of it ("dynamic_156", as Bitrix24 spells it in
// timeline comments).
const dynamicPrefix = "DYNAMIC_"

// Legacy reports whether Trail reads t's records through its legacy
// methods (crm.deal.get): the four types Trail recorded first, whose
// stored snapshots and history keep the legacy form and values. Every
// other type is read through crm.item.* with its answers mapped to the
// same form (see history.ItemSchema).
func (t Type) Legacy() bool {
	switch t {
	case Lead, Deal, Contact, Company:
		return true
	}
	return false
}

// Sort orders types for display: deals, leads, contacts, companies,
// estimates, smart invoices, then smart processes by entityTypeId.
func Sort(types []Type) {
	rank := func(t Type) int {
		for i, f := range fixed {
			if f == t {
				return i - len(fixed)
			}
		}
		return int(t)
	}
	slices.SortFunc(types, func(a, b Type) int { return rank(a) - rank(b) })
}

// Named reports whether t is a type Bitrix24 has spellings for in this
// vocabulary: the four legacy types, quotes, smart invoices and smart
// processes.
func (t Type) Named() bool {
	_, ok := builtins[t]
	return ok || t.Dynamic()
}

// Dynamic reports whether t is a smart process.
func (t Type) Dynamic() bool { return t >= firstDynamic }

// DynamicItem reports whether t's items are sent in the ONCRMDYNAMICITEM*
// events: smart processes and smart invoices.
func (t Type) DynamicItem() bool { return t == SmartInvoice || t.Dynamic() }

// String is Trail's name of the type ("deal", "quote", "smart_invoice",
// "dynamic_156"), or "type N" for one it has no name for.
func (t Type) String() string {
	if b, ok := builtins[t]; ok {
		return b.name
	}
	if t.Dynamic() {
		return strings.ToLower(t.Upper())
	}
	return "type " + strconv.Itoa(int(t))
}

// Upper is the type's name in Bitrix24's method, event and placement codes
// ("DEAL", "SMART_INVOICE", "DYNAMIC_156"); "" for a type it has no name for.
func (t Type) Upper() string {
	if t.Dynamic() {
		return dynamicPrefix + strconv.Itoa(int(t))
	}
	return builtins[t].upper
}

// Short is the prefix of the type's CRM link values ("D" in "D_12"; "T9c"
// for smart process 156: T and its id in lower-case hex).
// https://apidocs.bitrix24.com/api-reference/crm/data-types.html#object_type
func (t Type) Short() string {
	if t.Dynamic() {
		return "T" + strconv.FormatInt(int64(t), 16)
	}
	return builtins[t].short
}

// ParseType reads a type by Trail's name ("deal", "dynamic_156") or its
// entityTypeId ("2"): the forms and URLs of Trail's pages. Whether a
// portal has the type is the caller's to check.
func ParseType(s string) (Type, bool) {
	for t, b := range builtins {
		if s == b.name {
			return t, true
		}
	}
	if up, ok := strings.CutPrefix(s, strings.ToLower(dynamicPrefix)); ok {
		return parseDynamic(up)
	}
	if t, ok := parseID(s); ok && t.Named() {
		return t, true
	}
	return 0, false
}

// TypeOfUpper reads a type from the upper-case name Bitrix24 uses in event
// and placement codes ("DEAL", "DYNAMIC_156").
func TypeOfUpper(s string) (Type, bool) {
	for t, b := range builtins {
		if s == b.upper {
			return t, true
		}
	}
	if id, ok := strings.CutPrefix(s, dynamicPrefix); ok {
		return parseDynamic(id)
	}
	return 0, false
}

// TypeOfShort reads a type from the prefix of a CRM link value ("CO",
// "T9c").
func TypeOfShort(s string) (Type, bool) {
	for t, b := range builtins {
		if s == b.short {
			return t, true
		}
	}
	hex, ok := strings.CutPrefix(s, "T")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(hex, 16, 32)
	if t := Type(n); err == nil && t.Dynamic() && t.Short() == s {
		return t, true
	}
	return 0, false
}

// parseDynamic reads a smart process's id written as Bitrix24 writes it
// (decimal, no sign, no leading zeros).
func parseDynamic(s string) (Type, bool) {
	if t, ok := parseID(s); ok && t.Dynamic() {
		return t, true
	}
	return 0, false
}

// parseID reads an entityTypeId in its one canonical spelling.
func parseID(s string) (Type, bool) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != s {
		return 0, false
	}
	return Type(n), true
}

// Method is the name of one of the type's legacy REST methods:
// Method("get") is "crm.deal.get". Only the four types Trail records and
// quotes have them; smart invoices and processes have crm.item.* alone.
// https://apidocs.bitrix24.com/api-reference/crm/deals/index.html
func (t Type) Method(verb string) string { return "crm." + t.String() + "." + verb }

// DetailTab is the placement code of the type's tab in a record's card
// (CRM_DEAL_DETAIL_TAB, CRM_DYNAMIC_156_DETAIL_TAB).
// https://apidocs.bitrix24.com/api-reference/widgets/crm/detail-tab.html
func (t Type) DetailTab() string { return "CRM_" + t.Upper() + "_DETAIL_TAB" }

// TypeOfDetailTab reads the type of a detail-tab placement code.
func TypeOfDetailTab(code string) (Type, bool) {
	up, ok := strings.CutPrefix(code, "CRM_")
	if !ok {
		return 0, false
	}
	if up, ok = strings.CutSuffix(up, "_DETAIL_TAB"); !ok {
		return 0, false
	}
	return TypeOfUpper(up)
}

// dynamicItem is the middle of the events of smart-process and
// smart-invoice items (ONCRMDYNAMICITEMUPDATE).
const dynamicItem = "DYNAMICITEM"

// Event is the name of the event that tells of action (ADD, UPDATE,
// DELETE) on the type's records: ONCRMDEALUPDATE, ONCRMQUOTEUPDATE, and for
// smart invoices and processes the event all their items share,
// ONCRMDYNAMICITEMUPDATE, whose data[FIELDS][ENTITY_TYPE_ID] names the type.
// https://apidocs.bitrix24.com/api-reference/crm/universal/events/index.html
func (t Type) Event(action string) string {
	if t.DynamicItem() {
		return "ONCRM" + dynamicItem + action
	}
	return "ONCRM" + t.Upper() + action
}

// TypeEvent is the event of one smart process alone
// (ONCRMDYNAMICITEMUPDATE_156), which a portal offers only where its
// events method lists it; "" for other types.
// https://apidocs.bitrix24.com/api-reference/crm/universal/events/on-crm-dynamic-item-update.html
func (t Type) TypeEvent(action string) string {
	if !t.Dynamic() {
		return ""
	}
	return t.Event(action) + "_" + strconv.Itoa(int(t))
}

// Actions of the item events, in the upper case of their names.
var actions = []string{"ADD", "UPDATE", "DELETE"}

// TypeOfEvent reads the type and action (ADD, UPDATE, DELETE) of an item
// event's name. entityTypeID is the event's data[FIELDS][ENTITY_TYPE_ID]:
// the generic ONCRMDYNAMICITEM* events name their type only there, and a
// per-type event that names another is not believed. A pipeline move
// (MoveEvent) reads as an update.
func TypeOfEvent(name, entityTypeID string) (Type, string, bool) {
	if t, action, ok := typeOfMove(name); ok {
		return t, action, true
	}
	rest, ok := strings.CutPrefix(name, "ONCRM")
	if !ok {
		return 0, "", false
	}
	if item, ok := strings.CutPrefix(rest, dynamicItem); ok {
		action, id, perType := strings.Cut(item, "_")
		t, ok := parseID(entityTypeID)
		switch {
		case perType && entityTypeID == "":
			t, ok = parseDynamic(id)
		case perType:
			ok = ok && t.Dynamic() && id == entityTypeID
		default:
			ok = ok && t.DynamicItem()
		}
		if !ok || !isAction(action) {
			return 0, "", false
		}
		return t, action, true
	}
	for _, action := range actions {
		if up, ok := strings.CutSuffix(rest, action); ok {
			if t, ok := TypeOfUpper(up); ok && !t.DynamicItem() {
				return t, action, true
			}
		}
	}
	return 0, "", false
}

func isAction(s string) bool {
	for _, a := range actions {
		if s == a {
			return true
		}
	}
	return false
}

// MarshalText writes the type by Trail's name: job arguments and forms.
func (t Type) MarshalText() ([]byte, error) {
	if !t.Named() {
		return nil, fmt.Errorf("crm: unknown type %d", int(t))
	}
	return []byte(t.String()), nil
}

// UnmarshalText reads a name written by MarshalText (or an entityTypeId).
func (t *Type) UnmarshalText(b []byte) error {
	v, ok := ParseType(string(b))
	if !ok {
		return fmt.Errorf("crm: unknown type %q", b)
	}
	*t = v
	return nil
}

// Value stores the type as its entityTypeId.
func (t Type) Value() (driver.Value, error) {
	if t <= 0 {
		return nil, fmt.Errorf("crm: cannot store type %d", int(t))
	}
	return int64(t), nil
}

// Scan reads a stored entityTypeId, of any type the portal has; a name
// reads too.
func (t *Type) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case int64:
		s = strconv.FormatInt(v, 10)
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("crm: cannot read a type from %T", src)
	}
	if id, ok := parseID(s); ok {
		*t = id
		return nil
	}
	return t.UnmarshalText([]byte(s))
}
