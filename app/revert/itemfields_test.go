package revert

import (
	"reflect"
	"testing"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
)

// itemSchema is a smart process's schema as setup stores it: a
// crm.item.fields answer (useOriginalUfNames=Y) in the legacy form.
func itemSchema(t *testing.T) *history.Schema {
	t.Helper()
	raw, err := history.ItemFields([]byte(`{"fields":{
		"id":{"type":"integer","isReadOnly":true,"upperName":"ID"},
		"title":{"type":"string","upperName":"TITLE"},
		"categoryId":{"type":"crm_category","upperName":"CATEGORY_ID"},
		"stageId":{"type":"crm_status","upperName":"STAGE_ID"},
		"opened":{"type":"boolean","upperName":"OPENED"},
		"begindate":{"type":"date","upperName":"BEGINDATE"},
		"contactIds":{"type":"crm_contact","isMultiple":true,"upperName":"CONTACT_IDS"},
		"contactId":{"type":"crm_contact","isDeprecated":true,"upperName":"CONTACT_ID"},
		"parentId2":{"type":"crm_entity","upperName":"PARENT_ID_2"},
		"UF_CRM_7_FLAG":{"type":"boolean","isDynamic":true,"upperName":"UF_CRM_7_FLAG"},
		"UF_CRM_7_BUDGET":{"type":"money","isDynamic":true,"upperName":"UF_CRM_7_BUDGET"},
		"UF_CRM_7_TAGS":{"type":"enumeration","isMultiple":true,"isDynamic":true,"upperName":"UF_CRM_7_TAGS"},
		"UF_CRM_7_FILE":{"type":"file","isDynamic":true,"upperName":"UF_CRM_7_FILE"},
		"UF_CRM_7_FILES":{"type":"file","isMultiple":true,"isDynamic":true,"upperName":"UF_CRM_7_FILES"}
	}}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := history.ParseFields(raw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestItemFieldNames: a field stored under its upperName is written under
// the crm.item name the portal's metadata gives it; user fields keep their
// code (written with useOriginalUfNames=Y); a field the metadata does not
// describe was stored under its crm.item name; product rows are no field.
func TestItemFieldNames(t *testing.T) {
	s := itemSchema(t)
	for name, want := range map[string]string{
		"TITLE": "title", "CATEGORY_ID": "categoryId", "STAGE_ID": "stageId", "CONTACT_IDS": "contactIds",
		"PARENT_ID_2": "parentId2", "BEGINDATE": "begindate", "UF_CRM_7_BUDGET": "UF_CRM_7_BUDGET", "xmlId": "xmlId",
	} {
		if got, ok := itemField(s, name); !ok || got != want {
			t.Errorf("itemField(%s) = %q %v, want %q", name, got, ok, want)
		}
	}
	if got, ok := itemField(s, history.ProductRows); ok {
		t.Errorf("itemField(%s) = %q: product rows are written apart", history.ProductRows, got)
	}
}

// TestItemValues: each kind of value in the shape crm.item.update takes.
func TestItemValues(t *testing.T) {
	s := itemSchema(t)
	file := func(id string) history.Value { return history.Value{Kind: history.KindFile, Text: id} }
	list := func(vs ...history.Value) history.Value { return history.Value{Kind: history.KindList, List: vs} }
	id := func(s string) history.Value { return history.Value{Kind: history.KindID, Text: s} }
	for _, c := range []struct {
		field string
		want  history.Value
		wire  any
	}{
		{"TITLE", text("Old title"), "Old title"},
		{"OPENED", history.Value{Kind: history.KindBool, Text: "Y"}, "Y"},
		{"OPENED", history.Value{}, "N"},
		{"UF_CRM_7_FLAG", history.Value{Kind: history.KindBool, Text: "Y"}, "Y"},
		{"UF_CRM_7_FLAG", history.Value{Kind: history.KindBool, Text: "N"}, "N"},
		{"UF_CRM_7_BUDGET", history.Value{Kind: history.KindMoney, Text: "100.5|EUR"}, "100.5|EUR"},
		{"BEGINDATE", history.Value{Kind: history.KindDate, Text: "2024-08-30"}, "2024-08-30"},
		{"CONTACT_IDS", list(id("3"), id("5")), []string{"3", "5"}},
		{"CONTACT_IDS", history.Value{}, []string{""}},
		{"UF_CRM_7_TAGS", list(id("41")), []string{"41"}},
		{"PARENT_ID_2", history.Value{}, ""},
		{"UF_CRM_7_FILE", file("9"), map[string]any{"id": "9"}},
		{"UF_CRM_7_FILE", history.Value{}, ""},
		{"UF_CRM_7_FILES", list(file("9"), file("12")), []any{map[string]any{"id": "9"}, map[string]any{"id": "12"}}},
		{"UF_CRM_7_FILES", history.Value{}, []string{""}},
	} {
		if got := itemValue(s.Field(c.field), c.want); !reflect.DeepEqual(got, c.wire) {
			t.Errorf("itemValue(%s, %v) = %#v, want %#v", c.field, c.want, got, c.wire)
		}
	}
}

// TestItemWrite: a smart-process item's fields go in one crm.item.update
// with their crm.item names, the pipeline and its stage together; rows
// are set as a whole after, or deleted one by one when none are wanted.
func TestItemWrite(t *testing.T) {
	s := itemSchema(t)
	const spa = crm.Type(156)
	row := func(id, name string) history.Value {
		return history.Value{Kind: history.KindRow, ID: id, Text: `{"name":"` + name + `","price":"10","quantity":"1"}`}
	}
	w := write{t: spa, id: 12}
	w.add(s.Field("STAGE_ID"), text("DT156_1:NEW"), history.Value{Kind: history.KindID, Text: "DT156_3:PREPARATION"})
	w.add(s.Field("CATEGORY_ID"), history.Value{Kind: history.KindID, Text: "1"}, history.Value{Kind: history.KindID, Text: "3"})
	w.add(s.Field("UF_CRM_7_BUDGET"), history.Value{}, history.Value{Kind: history.KindMoney, Text: "5|USD"})
	w.add(s.Field(history.ProductRows), history.Value{Kind: history.KindList, List: []history.Value{row("70", "Sofa")}}, row("", "Chair"))
	calls := w.calls()
	if len(calls) != 2 || calls[0].method != "crm.item.productrow.set" || calls[1].method != "crm.item.update" {
		t.Fatalf("calls = %+v", calls)
	}
	if p := calls[0].params; p["ownerType"] != "T9c" || p["ownerId"] != int64(12) || len(p["productRows"].([]any)) != 1 {
		t.Errorf("rows call = %+v", p)
	}
	want := b24.Params{"entityTypeId": 156, "id": int64(12), "useOriginalUfNames": "Y", "fields": b24.Params{
		"stageId": "DT156_3:PREPARATION", "categoryId": "3", "UF_CRM_7_BUDGET": "5|USD",
	}}
	if !reflect.DeepEqual(calls[1].params, want) {
		t.Errorf("update = %#v, want %#v", calls[1].params, want)
	}
	if got := calls[1].fields; !reflect.DeepEqual(got, []string{"STAGE_ID", "CATEGORY_ID", "UF_CRM_7_BUDGET"}) {
		t.Errorf("update writes %v", got)
	}

	contacts := write{t: spa, id: 12}
	contacts.add(s.Field("CONTACT_ID"), history.Value{Kind: history.KindID, Text: "4"}, history.Value{Kind: history.KindID, Text: "3"})
	contacts.add(s.Field("CONTACT_IDS"), history.Value{Kind: history.KindID, Text: "4"}, history.Value{Kind: history.KindList, List: []history.Value{{Kind: history.KindID, Text: "3"}}})
	calls = contacts.calls()
	if len(calls) != 1 || !reflect.DeepEqual(calls[0].params["fields"], b24.Params{"contactIds": []string{"3"}}) || len(calls[0].fields) != 2 {
		t.Errorf("the contacts with the deprecated first one = %+v", calls)
	}

	empty := write{t: crm.Quote, id: 4}
	empty.add(s.Field(history.ProductRows), history.Value{Kind: history.KindList, List: []history.Value{row("70", "Sofa"), row("71", "Chair")}}, history.Value{})
	calls = empty.calls()
	if len(calls) != 2 || calls[0].method != "crm.item.productrow.delete" || calls[0].params["id"] != "70" || calls[1].params["id"] != "71" {
		t.Errorf("emptying an estimate's rows = %+v", calls)
	}
}

// TestLinksWrite: a legacy type's linked records are written through the
// binding methods, after the update that may carry the deprecated single
// link; unlinking them all is items.delete.
func TestLinksWrite(t *testing.T) {
	id := func(s string) history.Value { return history.Value{Kind: history.KindID, Text: s} }
	w := write{t: crm.Company, id: 8}
	w.add(history.Field{Name: "CONTACT_IDS", Type: history.TypeContact, Multiple: true}, history.Value{},
		history.Value{Kind: history.KindList, List: []history.Value{id("1"), id("2")}})
	w.add(history.Field{Name: "TITLE", Type: history.TypeString}, text("new"), text("old"))
	calls := w.calls()
	if len(calls) != 2 || calls[0].method != "crm.company.update" || calls[1].method != "crm.company.contact.items.set" {
		t.Fatalf("calls = %+v", calls)
	}
	want := b24.Params{"id": int64(8), "items": []any{map[string]any{"CONTACT_ID": "1"}, map[string]any{"CONTACT_ID": "2"}}}
	if !reflect.DeepEqual(calls[1].params, want) {
		t.Errorf("items.set = %#v, want %#v", calls[1].params, want)
	}
	w = write{t: crm.Contact, id: 8}
	w.add(history.Field{Name: "COMPANY_IDS", Type: history.TypeCompany, Multiple: true}, id("3"), history.Value{})
	if calls := w.calls(); len(calls) != 1 || calls[0].method != "crm.contact.company.items.delete" {
		t.Errorf("unlinking = %+v", calls)
	}
}
