package revert

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// TestPlanRecreate: a new record gets every field with a value, set-on-
// create ones included; system, read-only and file fields are listed with
// the reason; empty fields and the single contact of a deal (its list
// carries it) are left out; links keep the records that exist and list
// the gone ones apart.
func TestPlanRecreate(t *testing.T) {
	s := &history.Schema{Fields: map[string]history.Field{
		"TITLE":       {Name: "TITLE", Type: history.TypeString},
		"COMMENTS":    {Name: "COMMENTS", Type: history.TypeString},
		"TYPE_ID":     {Name: "TYPE_ID", Type: history.TypeStatus, Immutable: true},
		"LEAD_ID":     {Name: "LEAD_ID", Type: history.TypeLead, ReadOnly: true},
		"UF_FILE":     {Name: "UF_FILE", Type: history.TypeFile},
		"COMPANY_ID":  {Name: "COMPANY_ID", Type: history.TypeCompany},
		"CONTACT_ID":  {Name: "CONTACT_ID", Type: history.TypeContact},
		"CONTACT_IDS": {Name: "CONTACT_IDS", Type: history.TypeContact, Multiple: true},
	}}
	last := history.Snapshot{
		"ID": json.RawMessage(`"7"`), "TITLE": json.RawMessage(`"Deal"`), "COMMENTS": json.RawMessage(`null`),
		"TYPE_ID": json.RawMessage(`"SALE"`), "LEAD_ID": json.RawMessage(`"3"`), "UF_FILE": json.RawMessage(`{"id":9}`),
		"COMPANY_ID": json.RawMessage(`"2"`), "CONTACT_ID": json.RawMessage(`"1"`), "CONTACT_IDS": json.RawMessage(`["1","3","4"]`),
	}
	links := Links(s, crm.Deal, last)
	if want := []Link{{crm.Company, 2}, {crm.Contact, 1}, {crm.Contact, 3}, {crm.Contact, 4}}; !slices.Equal(links, want) {
		t.Errorf("links %v, want %v", links, want)
	}
	got := PlanRecreate(s, crm.Deal, last, []Link{{crm.Contact, 3}})
	type row struct {
		field, reason string
		writable      bool
		target        string
	}
	want := []row{
		{"COMPANY_ID", "", true, "2"},
		{"CONTACT_IDS", ReasonLinkGone, false, "3"},
		{"CONTACT_IDS", "", true, "1,4"},
		{"ID", ReasonSystem, false, "7"},
		{"LEAD_ID", ReasonReadOnly, false, "3"},
		{"TITLE", "", true, "Deal"},
		{"TYPE_ID", "", true, "SALE"},
		{"UF_FILE", ReasonFileGone, false, "9"},
	}
	var have []row
	for _, f := range got {
		var texts []string
		for _, e := range elements(decode(f.Target)) {
			texts = append(texts, e.Text)
		}
		have = append(have, row{f.Field, f.Reason, f.Writable, strings.Join(texts, ",")})
	}
	if !slices.Equal(have, want) {
		t.Errorf("plan\n%v\nwant\n%v", have, want)
	}

	// The company gone too: the deal is added without it.
	got = PlanRecreate(s, crm.Deal, last, []Link{{crm.Company, 2}})
	add, then := recreateCalls(s, crm.Deal, got)
	fields := add.params["fields"].(b24.Params)
	if _, ok := fields["COMPANY_ID"]; ok || fields["TITLE"] != "Deal" || fields["TYPE_ID"] != "SALE" || len(fields) != 2 {
		t.Errorf("crm.deal.add fields %v", fields)
	}
	calls := then(21)
	if len(calls) != 1 || calls[0].method != "crm.deal.contact.items.set" || mustJSON(calls[0].params["items"]) != `[{"CONTACT_ID":"1"},{"CONTACT_ID":"3"},{"CONTACT_ID":"4"}]` {
		t.Errorf("after the add: %+v", calls)
	}
	if !slices.ContainsFunc(got, func(f db.RevertField) bool { return f.Field == "COMPANY_ID" && f.Reason == ReasonLinkGone }) {
		t.Errorf("the gone company is not listed: %+v", got)
	}
}
