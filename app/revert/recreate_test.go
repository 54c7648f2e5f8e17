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
	rc := recreateCalls(s, crm.Deal, got)
	fields := rc.add.params["fields"].(b24.Params)
	if _, ok := fields["COMPANY_ID"]; ok || fields["TITLE"] != "Deal" || fields["TYPE_ID"] != "SALE" || len(fields) != 2 {
		t.Errorf("crm.deal.add fields %v", fields)
	}
	calls := rc.then(21)
	if len(calls) != 1 || calls[0].method != "crm.deal.contact.items.set" || mustJSON(calls[0].params["items"]) != `[{"CONTACT_ID":"1"},{"CONTACT_ID":"3"},{"CONTACT_ID":"4"}]` {
		t.Errorf("after the add: %+v", calls)
	}
	if !slices.ContainsFunc(got, func(f db.RevertField) bool { return f.Field == "COMPANY_ID" && f.Reason == ReasonLinkGone }) {
		t.Errorf("the gone company is not listed: %+v", got)
	}
}

// TestPlanRecreateItem: a smart-process item is added through
// crm.item.add with its fields under their crm.item names (user fields
// by their codes), its contacts as contactIds without the deprecated first
// contact, its pipeline and stage, and a parent deal that is gone left
// out and listed; its rows follow with the type's ownerType, and the new
// id is read from the answer's item.
func TestPlanRecreateItem(t *testing.T) {
	const spa = crm.Type(128)
	s := &history.Schema{Fields: map[string]history.Field{
		"TITLE":               {Name: "TITLE", Type: history.TypeString, ItemName: "title"},
		"CATEGORY_ID":         {Name: "CATEGORY_ID", Type: history.TypeCategory, ItemName: "categoryId"},
		"STAGE_ID":            {Name: "STAGE_ID", Type: history.TypeStatus, ItemName: "stageId"},
		"CONTACT_ID":          {Name: "CONTACT_ID", Type: history.TypeContact, ItemName: "contactId"},
		"CONTACT_IDS":         {Name: "CONTACT_IDS", Type: history.TypeContact, Multiple: true, ItemName: "contactIds"},
		"COMPANY_ID":          {Name: "COMPANY_ID", Type: history.TypeCompany, ItemName: "companyId"},
		"PARENT_ID_2":         {Name: "PARENT_ID_2", Type: history.TypeEntity, ItemName: "parentId2"},
		"UF_CRM_5_TAGS":       {Name: "UF_CRM_5_TAGS", Type: history.TypeString, Multiple: true, ItemName: "UF_CRM_5_TAGS"},
		"CREATED_BY_ID":       {Name: "CREATED_BY_ID", Type: history.TypeUser, ReadOnly: true, ItemName: "createdBy"},
		history.ProductRows:   {Name: history.ProductRows, Type: history.TypeProductRow, Multiple: true},
		"UF_CRM_5_ATTACHMENT": {Name: "UF_CRM_5_ATTACHMENT", Type: history.TypeFile, ItemName: "UF_CRM_5_ATTACHMENT"},
	}}
	last := history.Snapshot{
		"ID": json.RawMessage(`9`), "TITLE": json.RawMessage(`"Launch"`), "CATEGORY_ID": json.RawMessage(`3`),
		"STAGE_ID": json.RawMessage(`"DT128_3:NEW"`), "CONTACT_ID": json.RawMessage(`1`), "CONTACT_IDS": json.RawMessage(`[1,2]`),
		"COMPANY_ID": json.RawMessage(`4`), "PARENT_ID_2": json.RawMessage(`6`), "UF_CRM_5_TAGS": json.RawMessage(`["a","b"]`),
		"CREATED_BY_ID": json.RawMessage(`3`), "UF_CRM_5_ATTACHMENT": json.RawMessage(`{"id":5}`),
		history.ProductRows: json.RawMessage(`[{"id":1,"productId":0,"productName":"Sofa","price":10,"quantity":2}]`),
	}
	if links, want := Links(s, spa, last), []Link{{crm.Company, 4}, {crm.Contact, 1}, {crm.Contact, 2}, {crm.Deal, 6}}; !slices.Equal(links, want) {
		t.Errorf("links %v, want %v", links, want)
	}
	plan := PlanRecreate(s, spa, last, []Link{{crm.Deal, 6}})
	reasons := map[string]string{}
	for _, f := range plan {
		reasons[f.Field] = f.Reason
	}
	for name, want := range map[string]string{"PARENT_ID_2": ReasonLinkGone, "CREATED_BY_ID": ReasonSystem, "ID": ReasonSystem, "UF_CRM_5_ATTACHMENT": ReasonFileGone} {
		if reasons[name] != want {
			t.Errorf("%s: reason %q, want %q", name, reasons[name], want)
		}
	}
	if _, ok := reasons["CONTACT_ID"]; ok {
		t.Errorf("the deprecated first contact is planned: %+v", plan)
	}
	rc := recreateCalls(s, spa, plan)
	if rc.add.method != "crm.item.add" || rc.add.params["entityTypeId"] != 128 || rc.add.params["useOriginalUfNames"] != "Y" {
		t.Errorf("add %+v", rc.add)
	}
	if got, want := mustJSON(rc.add.params["fields"]), `{"UF_CRM_5_TAGS":["a","b"],"categoryId":"3","companyId":"4","contactIds":["1","2"],"stageId":"DT128_3:NEW","title":"Launch"}`; got != want {
		t.Errorf("fields\n%s\nwant\n%s", got, want)
	}
	calls := rc.then(21)
	if len(calls) != 1 || calls[0].method != "crm.item.productrow.set" || calls[0].params["ownerType"] != "T80" || calls[0].params["ownerId"] != int64(21) {
		t.Errorf("after the add: %+v", calls)
	}
	if id, ok := rc.id(json.RawMessage(`{"item":{"id":21,"title":"Launch"}}`)); !ok || id != 21 {
		t.Errorf("id %d %v", id, ok)
	}
	if _, ok := rc.id(json.RawMessage(`21`)); ok {
		t.Error("a bare number is not crm.item.add's answer")
	}
}
