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
	if len(want) != 3+3*2 {
		t.Errorf("%d wanted bindings for one type, want 9: %+v", len(want), want)
	}
	if n := len(WantedEvents(base, nil)); n != 3 {
		t.Errorf("%d wanted bindings with nothing tracked, want the app's 3", n)
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
	if bind, unbind := Placements(base, nil, nil); bind != nil || unbind != nil {
		t.Errorf("nothing wanted, nothing bound: bind %v unbind %v", bind, unbind)
	}
}
