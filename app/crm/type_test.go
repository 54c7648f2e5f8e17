package crm

import (
	"encoding/json"
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
	} {
		if got := tc.t.String(); got != tc.name {
			t.Errorf("%d: name %q, want %q", tc.t, got, tc.name)
		}
		if got := tc.t.Method("get"); got != tc.method {
			t.Errorf("%s: method %q, want %q", tc.name, got, tc.method)
		}
		if got := tc.t.DetailTab(); got != tc.tab {
			t.Errorf("%s: tab %q, want %q", tc.name, got, tc.tab)
		}
		if got := tc.t.Event("UPDATE"); got != tc.event {
			t.Errorf("%s: event %q, want %q", tc.name, got, tc.event)
		}
		for _, parse := range []func() (Type, bool){
			func() (Type, bool) { return ParseType(tc.name) },
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

func TestUnknownTypes(t *testing.T) {
	for _, s := range []string{"", "Deal", "quote", "0", "5", "deal\x00"} {
		if got, ok := ParseType(s); ok {
			t.Errorf("ParseType(%q) = %v, want unknown", s, got)
		}
	}
	if _, ok := TypeOfDetailTab("CRM_ORDER_DETAIL_TAB"); ok {
		t.Error("CRM_ORDER_DETAIL_TAB read as a known type")
	}
	if Type(128).Known() || Type(128).String() != "type 128" {
		t.Errorf("type 128: known %v, name %q", Type(128).Known(), Type(128).String())
	}
	if _, err := Type(128).MarshalText(); err == nil {
		t.Error("an unknown type was written")
	}
}

func TestTypeStoredByName(t *testing.T) {
	b, err := json.Marshal(map[Type]int{Deal: 1})
	if err != nil || string(b) != `{"deal":1}` {
		t.Fatalf("json: %s, %v", b, err)
	}
	v, err := Company.Value()
	if err != nil || v != "company" {
		t.Fatalf("Value: %v, %v", v, err)
	}
	var got Type
	if err := got.Scan([]byte("lead")); err != nil || got != Lead {
		t.Fatalf("Scan: %v, %v", got, err)
	}
	if err := got.Scan(int64(2)); err == nil {
		t.Fatal("Scan of a number succeeded")
	}
}
