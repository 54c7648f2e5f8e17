package crm

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestTypeNames(t *testing.T) {
	for _, tc := range []struct {
		t                                   Type
		name, method, tab, event, up, short string
	}{
		{Deal, "deal", "crm.deal.get", "CRM_DEAL_DETAIL_TAB", "ONCRMDEALUPDATE", "DEAL", "D"},
		{Lead, "lead", "crm.lead.get", "CRM_LEAD_DETAIL_TAB", "ONCRMLEADUPDATE", "LEAD", "L"},
		{Contact, "contact", "crm.contact.get", "CRM_CONTACT_DETAIL_TAB", "ONCRMCONTACTUPDATE", "CONTACT", "C"},
		{Company, "company", "crm.company.get", "CRM_COMPANY_DETAIL_TAB", "ONCRMCOMPANYUPDATE", "COMPANY", "CO"},
		{Quote, "quote", "crm.quote.get", "CRM_QUOTE_DETAIL_TAB", "ONCRMQUOTEUPDATE", "QUOTE", "Q"},
		{SmartInvoice, "smart_invoice", "", "CRM_SMART_INVOICE_DETAIL_TAB", "ONCRMDYNAMICITEMUPDATE", "SMART_INVOICE", "SI"},
		{128, "dynamic_128", "", "CRM_DYNAMIC_128_DETAIL_TAB", "ONCRMDYNAMICITEMUPDATE", "DYNAMIC_128", "T80"},
		{156, "dynamic_156", "", "CRM_DYNAMIC_156_DETAIL_TAB", "ONCRMDYNAMICITEMUPDATE", "DYNAMIC_156", "T9c"},
		{183, "dynamic_183", "", "CRM_DYNAMIC_183_DETAIL_TAB", "ONCRMDYNAMICITEMUPDATE", "DYNAMIC_183", "Tb7"},
		{1038, "dynamic_1038", "", "CRM_DYNAMIC_1038_DETAIL_TAB", "ONCRMDYNAMICITEMUPDATE", "DYNAMIC_1038", "T40e"},
	} {
		if got := tc.t.String(); got != tc.name {
			t.Errorf("%d: name %q, want %q", tc.t, got, tc.name)
		}
		if got := tc.t.Method("get"); tc.method != "" && got != tc.method {
			t.Errorf("%s: method %q, want %q", tc.name, got, tc.method)
		}
		if got := tc.t.DetailTab(); got != tc.tab {
			t.Errorf("%s: tab %q, want %q", tc.name, got, tc.tab)
		}
		if got := tc.t.Event("UPDATE"); got != tc.event {
			t.Errorf("%s: event %q, want %q", tc.name, got, tc.event)
		}
		if got := tc.t.Upper(); got != tc.up {
			t.Errorf("%s: upper %q, want %q", tc.name, got, tc.up)
		}
		if got := tc.t.Short(); got != tc.short {
			t.Errorf("%s: short %q, want %q", tc.name, got, tc.short)
		}
		if !tc.t.Named() || tc.t.Legacy() != (tc.t <= Company) {
			t.Errorf("%s: named %v, legacy %v", tc.name, tc.t.Named(), tc.t.Legacy())
		}
		for _, parse := range []func() (Type, bool){
			func() (Type, bool) { return ParseType(tc.name) },
			func() (Type, bool) { return ParseType(itoa(tc.t)) },
			func() (Type, bool) { return TypeOfUpper(tc.up) },
			func() (Type, bool) { return TypeOfShort(tc.short) },
			func() (Type, bool) { return TypeOfDetailTab(tc.tab) },
		} {
			if got, ok := parse(); !ok || got != tc.t {
				t.Errorf("%s: parsed back as %v, %v", tc.name, got, ok)
			}
		}
	}
}

func itoa(t Type) string {
	b, _ := json.Marshal(int(t))
	return string(b)
}

func TestItemEvents(t *testing.T) {
	if got := Type(156).TypeEvent("ADD"); got != "ONCRMDYNAMICITEMADD_156" {
		t.Errorf("per-type event %q", got)
	}
	for _, typ := range []Type{Deal, Quote, SmartInvoice} {
		if got := typ.TypeEvent("ADD"); got != "" {
			t.Errorf("%s has a per-type event %q", typ, got)
		}
	}
	for _, tc := range []struct {
		name, entityTypeID string
		t                  Type
		action             string
		ok                 bool
	}{
		{"ONCRMDEALUPDATE", "", Deal, "UPDATE", true},
		{"ONCRMLEADADD", "", Lead, "ADD", true},
		{"ONCRMCOMPANYDELETE", "", Company, "DELETE", true},
		{"ONCRMCONTACTUPDATE", "", Contact, "UPDATE", true},
		{"ONCRMQUOTEUPDATE", "", Quote, "UPDATE", true},
		{"ONCRMQUOTEDELETE", "", Quote, "DELETE", true},
		{"ONCRMDYNAMICITEMUPDATE", "31", SmartInvoice, "UPDATE", true},
		{"ONCRMDYNAMICITEMADD", "1220", 1220, "ADD", true},
		{"ONCRMDYNAMICITEMDELETE", "156", 156, "DELETE", true},
		{"ONCRMDYNAMICITEMADD_147", "", 147, "ADD", true},
		{"ONCRMDYNAMICITEMUPDATE_147", "147", 147, "UPDATE", true},
		// The generic event names its type only in its data.
		{"ONCRMDYNAMICITEMUPDATE", "", 0, "", false},
		// It is never sent for the legacy types or quotes.
		{"ONCRMDYNAMICITEMUPDATE", "2", 0, "", false},
		{"ONCRMDYNAMICITEMUPDATE", "7", 0, "", false},
		// A per-type event naming another type in its data is not believed.
		{"ONCRMDYNAMICITEMUPDATE_147", "148", 0, "", false},
		{"ONCRMDYNAMICITEMUPDATE_31", "", 0, "", false},
		{"ONCRMDYNAMICITEMUPDATE_0147", "", 0, "", false},
		{"ONCRMDYNAMICITEMUPDATE", "031", 0, "", false},
		{"ONCRMDYNAMICITEMMOVE", "156", 0, "", false},
		{"ONCRMSMART_INVOICEUPDATE", "", 0, "", false},
		{"ONCRMDYNAMIC_156UPDATE", "", 0, "", false},
		{"ONCRMDEALMOVETOCATEGORY", "", Deal, "UPDATE", true},
		{"ONCRMLEADMOVETOCATEGORY", "", 0, "", false},
		{"ONCRMDEALUSERFIELDUPDATE", "", 0, "", false},
		{"ONCRMTYPEADD", "", 0, "", false},
		{"ONCRMINVOICEUPDATE", "", 0, "", false},
		{"oncrmdealupdate", "", 0, "", false},
		{"", "", 0, "", false},
	} {
		typ, action, ok := TypeOfEvent(tc.name, tc.entityTypeID)
		if typ != tc.t || action != tc.action || ok != tc.ok {
			t.Errorf("TypeOfEvent(%q, %q) = %v, %q, %v; want %v, %q, %v", tc.name, tc.entityTypeID, typ, action, ok, tc.t, tc.action, tc.ok)
		}
		if ok && typ.Event(action) != tc.name && typ.TypeEvent(action) != tc.name && typ.MoveEvent() != tc.name {
			t.Errorf("%s: written back as %q", tc.name, typ.Event(action))
		}
	}
}

func TestUnknownTypes(t *testing.T) {
	for _, s := range []string{"", "Deal", "QUOTE", "0", "5", "8", "36", "127", "-2", "+2", "02", "deal\x00", "dynamic_127", "dynamic_0156", "dynamic_", "DYNAMIC_156", "type 5"} {
		if got, ok := ParseType(s); ok {
			t.Errorf("ParseType(%q) = %v, want unknown", s, got)
		}
	}
	for _, s := range []string{"", "deal", "INVOICE", "ORDER", "DYNAMIC_", "DYNAMIC_127", "DYNAMIC_0156", "DYNAMIC_-1", "dynamic_156"} {
		if got, ok := TypeOfUpper(s); ok {
			t.Errorf("TypeOfUpper(%q) = %v, want unknown", s, got)
		}
	}
	for _, s := range []string{"", "T", "T9C", "T09c", "T7f", "t9c", "I", "O", "Tzz", "T-80"} {
		if got, ok := TypeOfShort(s); ok {
			t.Errorf("TypeOfShort(%q) = %v, want unknown", s, got)
		}
	}
	for _, s := range []string{"CRM_ORDER_DETAIL_TAB", "CRM_DYNAMIC_DETAIL_TAB", "CRM_DEAL_DETAIL_TOOLBAR", "CRM_DYNAMIC_156_LIST_MENU"} {
		if _, ok := TypeOfDetailTab(s); ok {
			t.Errorf("%s read as a type", s)
		}
	}
	if Type(5).Named() || Type(5).String() != "type 5" || Type(5).Upper() != "" {
		t.Errorf("type 5: named %v, name %q", Type(5).Named(), Type(5).String())
	}
	if _, err := Type(36).MarshalText(); err == nil {
		t.Error("an unnamed type was written")
	}
}

func TestTypeStoredByID(t *testing.T) {
	b, err := json.Marshal(map[Type]int{Deal: 1, 156: 2})
	if err != nil || string(b) != `{"deal":1,"dynamic_156":2}` {
		t.Fatalf("json: %s, %v", b, err)
	}
	for typ, want := range map[Type]int64{Company: 4, Quote: 7, SmartInvoice: 31, 1038: 1038, 36: 36} {
		if v, err := typ.Value(); err != nil || v != want {
			t.Errorf("Value of %v: %v, %v", typ, v, err)
		}
	}
	if _, err := Type(0).Value(); err == nil {
		t.Error("type 0 was stored")
	}
	for _, tc := range []struct {
		src  any
		want Type
	}{{int64(2), Deal}, {int64(1038), 1038}, {int64(36), 36}, {[]byte("3"), Contact}, {"lead", Lead}, {[]byte("company"), Company}} {
		var got Type
		if err := got.Scan(tc.src); err != nil || got != tc.want {
			t.Errorf("Scan(%#v) = %v, %v; want %v", tc.src, got, err, tc.want)
		}
	}
	for _, src := range []any{int64(0), int64(-1), int64(1) << 40, "", "bogus", 2.0, nil} {
		var got Type
		if err := got.Scan(src); err == nil {
			t.Errorf("Scan(%#v) read %v", src, got)
		}
	}
}

func TestSortPutsFixedTypesFirst(t *testing.T) {
	got := []Type{Type(200), Quote, Type(156), Company, Deal, SmartInvoice, Lead, Contact}
	Sort(got)
	want := []Type{Deal, Lead, Contact, Company, Quote, SmartInvoice, Type(156), Type(200)}
	if !slices.Equal(got, want) {
		t.Fatalf("Sort = %v, want %v", got, want)
	}
}
