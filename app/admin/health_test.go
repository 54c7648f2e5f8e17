package admin

import (
	"slices"
	"testing"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
)

func TestCheckBindings(t *testing.T) {
	const base = "https://trail.example"
	have := []b24.EventHandler{
		{Event: "ONAPPUNINSTALL", Handler: base + "/bitrix/uninstall"},
		{Event: "ONAPPUPDATE", Handler: base + "/bitrix/events"},
		{Event: "ONOFFLINEEVENT", Handler: base + "/bitrix/events"},
		{Event: "ONCRMDEALADD", Handler: base + "/bitrix/events"},
		{Event: "ONCRMDEALADD", Offline: true},
		{Event: "ONCRMDEALUPDATE", Handler: base + "/bitrix/events"},
		{Event: "ONCRMDEALUPDATE", Offline: true},
		{Event: "ONCRMDEALDELETE", Handler: "https://elsewhere.example/bitrix/events"}, // not Trail's
		{Event: "ONCRMDEALDELETE", Offline: true},
		{Event: "ONCRMLEADADD", Offline: true}, // leads are not tracked
	}
	wanted, bound, missing := checkBindings(base, []crm.Type{crm.Deal}, have)
	if wanted != 9 || bound != 8 || !slices.Equal(missing, []string{"ONCRMDEALDELETE"}) {
		t.Errorf("checkBindings = %d wanted, %d bound, missing %v", wanted, bound, missing)
	}
	_, _, missing = checkBindings(base, []crm.Type{crm.Deal, crm.Lead}, have)
	if len(missing) != 6 || !slices.Contains(missing, "ONCRMLEADUPDATE (offline)") {
		t.Errorf("with leads tracked, missing %v", missing)
	}
}

func TestRecordURL(t *testing.T) {
	if got := recordURL("https://acme.bitrix24.com/rest/", "deal", 5); got != "https://acme.bitrix24.com/crm/deal/details/5/" {
		t.Errorf("recordURL = %s", got)
	}
	if got := recordURL("javascript:alert(1)", "deal", 5); got != "" {
		t.Errorf("recordURL of a bad endpoint = %q", got)
	}
}
