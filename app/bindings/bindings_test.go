package bindings

import (
	"slices"
	"testing"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
)

const base = "https://trail.example"

func TestWantedEvents(t *testing.T) {
	want := WantedEvents(base, []crm.Type{crm.Lead})
	got := map[b24.EventHandler]bool{}
	for _, w := range want {
		got[w] = true
	}
	for _, e := range []b24.EventHandler{
		{Event: "ONAPPUNINSTALL", Handler: base + "/bitrix/uninstall"},
		{Event: "ONAPPUPDATE", Handler: base + "/bitrix/events"},
		{Event: "ONOFFLINEEVENT", Handler: base + "/bitrix/events"},
		{Event: "ONCRMLEADADD", Handler: base + "/bitrix/events"},
		{Event: "ONCRMLEADUPDATE", Offline: true},
		{Event: "ONCRMLEADDELETE", Offline: true},
	} {
		if !got[e] {
			t.Errorf("wanted bindings miss %+v", e)
		}
	}
	app := 3 + len(TypeEvents)
	if len(want) != app+3*2 {
		t.Errorf("%d wanted bindings for one type, want %d: %+v", len(want), app+3*2, want)
	}
	if n := len(WantedEvents(base, nil)); n != app {
		t.Errorf("%d wanted bindings with nothing tracked, want the app's %d", n, app)
	}
}

// Smart invoices and every smart process share the generic
// ONCRMDYNAMICITEM* events: they are bound once, whatever the number of
// types, and no per-type event is bound.
func TestWantedEventsBindDynamicItemsOnce(t *testing.T) {
	want := WantedEvents(base, []crm.Type{crm.SmartInvoice, crm.Type(156), crm.Type(1038), crm.Quote})
	n := map[string]int{}
	for _, w := range want {
		n[w.Event]++
	}
	for _, e := range []string{"ONCRMDYNAMICITEMADD", "ONCRMDYNAMICITEMUPDATE", "ONCRMDYNAMICITEMDELETE", "ONCRMQUOTEUPDATE"} {
		if n[e] != 2 {
			t.Errorf("%s bound %d times, want online and offline once each", e, n[e])
		}
	}
	if n["ONCRMDYNAMICITEMUPDATE_156"] != 0 || n["ONCRMTYPEADD"] != 1 {
		t.Errorf("per-type or type events bound wrongly: %v", n)
	}
}

func TestMissingEvents(t *testing.T) {
	want := WantedEvents(base, []crm.Type{crm.Deal})
	have := []b24.EventHandler{
		{Event: "onappuninstall", Handler: base + "/bitrix/uninstall"}, // case differs: bound
		{Event: "ONAPPUPDATE", Handler: "https://elsewhere.example/bitrix/events"},
		{Event: "ONOFFLINEEVENT", Handler: base + "/bitrix/events"},
		{Event: "ONCRMDEALADD", Handler: base + "/bitrix/events"},
		{Event: "ONCRMDEALADD", Offline: true},
		{Event: "ONCRMDEALUPDATE", Offline: true},
		{Event: "ONCRMDEALDELETE", Handler: base + "/bitrix/events"},
		{Event: "ONCRMDEALDELETE", Offline: true},
	}
	for _, e := range TypeEvents {
		have = append(have, b24.EventHandler{Event: e, Handler: base + "/bitrix/events"})
	}
	var got []string
	for _, m := range MissingEvents(want, have) {
		got = append(got, m.Event+"|"+m.Handler)
	}
	wantMissing := []string{
		"ONAPPUPDATE|" + base + "/bitrix/events", "ONCRMDEALUPDATE|" + base + "/bitrix/events",
		// A pipeline move fires no update event: it is bound too.
		"ONCRMDEALMOVETOCATEGORY|" + base + "/bitrix/events", "ONCRMDEALMOVETOCATEGORY|",
	}
	if !slices.Equal(got, wantMissing) {
		t.Errorf("missing = %q, want %q", got, wantMissing)
	}
	if m := MissingEvents(want, want); len(m) != 0 {
		t.Errorf("everything bound, yet missing %+v", m)
	}
}

func TestPlacements(t *testing.T) {
	have := []b24.Placement{
		{Placement: crm.Deal.DetailTab(), Handler: base + "/bitrix/tab"},
		{Placement: crm.Contact.DetailTab(), Handler: base + "/bitrix/tab"},
		{Placement: crm.Company.DetailTab(), Handler: "https://other.example/tab"}, // not Trail's
	}
	bind, unbind := Placements(base, []crm.Type{crm.Deal, crm.Lead, crm.Company}, have)
	if !slices.Equal(bind, []crm.Type{crm.Lead, crm.Company}) {
		t.Errorf("bind = %v, want lead and company", bind)
	}
	if !slices.Equal(unbind, []crm.Type{crm.Contact}) {
		t.Errorf("unbind = %v, want contact", unbind)
	}
	// A deleted smart process's tab, still bound, is unbound.
	have = append(have, b24.Placement{Placement: "CRM_DYNAMIC_156_DETAIL_TAB", Handler: base + "/bitrix/tab"})
	bind, unbind = Placements(base, []crm.Type{crm.Deal, crm.Contact, crm.Type(1038)}, have)
	if !slices.Equal(bind, []crm.Type{crm.Type(1038)}) || !slices.Equal(unbind, []crm.Type{crm.Type(156)}) {
		t.Errorf("bind = %v, unbind = %v, want dynamic_1038 bound and dynamic_156 unbound", bind, unbind)
	}
	if bind, unbind := Placements(base, nil, nil); bind != nil || unbind != nil {
		t.Errorf("nothing wanted, nothing bound: bind %v unbind %v", bind, unbind)
	}
}
