// Package crm is Trail's vocabulary for the portal's CRM: which kinds of
// records there are and how Bitrix24 names each of them in its methods,
// events, placements and values. It imports only the standard library.
package crm

import (
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"
)

// Type is a kind of CRM record, identified as the portal identifies it: by
// its entityTypeId (1 lead, 2 deal, 3 contact, 4 company; smart processes
// get numbers the portal chooses). See
// https://apidocs.bitrix24.com/api-reference/crm/data-types.html
type Type int

// The types Trail records today.
const (
	Lead    Type = 1
	Deal    Type = 2
	Contact Type = 3
	Company Type = 4
)

// Types are the types Trail records, in display order.
var Types = []Type{Deal, Lead, Contact, Company}

// builtin describes the types whose names Bitrix24 fixes.
type builtin struct {
	name  string // Trail's name, used in URLs and stored rows: "deal"
	upper string // the name in method, event and placement codes: "DEAL"
	short string // the prefix of a CRM link value ("D_12"): "D"
}

var builtins = map[Type]builtin{
	Lead:    {"lead", "LEAD", "L"},
	Deal:    {"deal", "DEAL", "D"},
	Contact: {"contact", "CONTACT", "C"},
	Company: {"company", "COMPANY", "CO"},
}

// ParseType reads a type by Trail's name ("deal") or its entityTypeId
// ("2").
func ParseType(s string) (Type, bool) {
	for t, b := range builtins {
		if s == b.name {
			return t, true
		}
	}
	if n, err := strconv.Atoi(s); err == nil {
		if _, ok := builtins[Type(n)]; ok {
			return Type(n), true
		}
	}
	return 0, false
}

// TypeOfUpper reads a type from the upper-case name Bitrix24 uses in event
// and placement codes ("DEAL").
func TypeOfUpper(s string) (Type, bool) {
	for t, b := range builtins {
		if s == b.upper {
			return t, true
		}
	}
	return 0, false
}

// TypeOfShort reads a type from the prefix of a CRM link value ("CO").
func TypeOfShort(s string) (Type, bool) {
	for t, b := range builtins {
		if s == b.short {
			return t, true
		}
	}
	return 0, false
}

// Known reports whether Trail knows how to handle t.
func (t Type) Known() bool { _, ok := builtins[t]; return ok }

// String is Trail's name of the type ("deal"), or "type N" for one it does
// not know.
func (t Type) String() string {
	if b, ok := builtins[t]; ok {
		return b.name
	}
	return "type " + strconv.Itoa(int(t))
}

// Upper is the type's name in Bitrix24's method, event and placement codes.
func (t Type) Upper() string { return builtins[t].upper }

// Short is the prefix of the type's CRM link values ("D" in "D_12").
func (t Type) Short() string { return builtins[t].short }

// Method is the name of one of the type's legacy REST methods:
// Method("get") is "crm.deal.get".
// https://apidocs.bitrix24.com/api-reference/crm/deals/index.html
func (t Type) Method(verb string) string { return "crm." + t.String() + "." + verb }

// DetailTab is the placement code of the type's tab in a record's card.
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

// Event is the name of one of the type's events: Event("UPDATE") is
// ONCRMDEALUPDATE.
// https://apidocs.bitrix24.com/api-reference/crm/deals/events/index.html
func (t Type) Event(action string) string { return "ONCRM" + t.Upper() + action }

// MarshalText writes the type by Trail's name.
func (t Type) MarshalText() ([]byte, error) {
	if !t.Known() {
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

// Value stores the type by name: the tables are keyed by name until they
// move to entityTypeId.
func (t Type) Value() (driver.Value, error) {
	b, err := t.MarshalText()
	return string(b), err
}

// Scan reads a stored name.
func (t *Type) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return t.UnmarshalText([]byte(v))
	case []byte:
		return t.UnmarshalText(v)
	}
	return fmt.Errorf("crm: cannot read a type from %T", src)
}
