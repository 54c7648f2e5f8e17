package history

import (
	"encoding/json"
	"testing"
)

// A crm.item record reads into the legacy form: names from the field
// metadata's upperName (user-field codes as the portal gives them, never
// rebuilt from a pattern), bookkeeping fields under their legacy names,
// and the item's Y/N flags typed as the legacy "char".
func TestItemFieldsAndSnapshot(t *testing.T) {
	fields := []byte(`{"fields":{
		"id":{"type":"integer","upperName":"ID"},
		"title":{"type":"string","title":"Name","upperName":"TITLE"},
		"opened":{"type":"boolean","upperName":"OPENED"},
		"updatedTime":{"type":"datetime","upperName":"UPDATED_TIME"},
		"updatedBy":{"type":"user","upperName":"UPDATED_BY"},
		"UF_CRM_7_SIZE2":{"type":"enumeration","isDynamic":true,"isMultiple":true,"title":"UF_CRM_7_SIZE2","listLabel":"Size","upperName":"UF_CRM_7_SIZE2","items":[{"ID":79,"VALUE":"Large"}]},
		"UF_CRM_7_OK":{"type":"boolean","isDynamic":true,"upperName":"UF_CRM_7_OK"}
	}}`)
	legacy, err := ItemFields(fields)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseFields(legacy)
	if err != nil {
		t.Fatal(err)
	}
	size := s.Field("UF_CRM_7_SIZE2")
	if size.Title != "Size" || !size.Multiple || size.Type != TypeEnumeration || size.ItemName != "UF_CRM_7_SIZE2" {
		t.Errorf("user field = %+v", size)
	}
	if label, _ := size.Item("79"); label != "Large" {
		t.Errorf("enumeration label = %q", label)
	}
	if f := s.Field("OPENED"); f.Type != TypeChar {
		t.Errorf("OPENED type = %q, want char", f.Type)
	}
	if f := s.Field("UF_CRM_7_OK"); f.Type != TypeBoolean {
		t.Errorf("user boolean type = %q, want boolean", f.Type)
	}
	if _, ok := s.Fields["UPDATED_TIME"]; ok {
		t.Error("updatedTime kept its upperName; want DATE_MODIFY")
	}
	snap, err := ItemSnapshot(s, []byte(`{"id":5,"title":"Box","opened":"Y","updatedTime":"2026-11-30T10:00:00+03:00","updatedBy":4,"UF_CRM_7_SIZE2":[79],"entityTypeId":156}`))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"ID": `5`, "TITLE": `"Box"`, "OPENED": `"Y"`, "MODIFY_BY_ID": `4`, "UF_CRM_7_SIZE2": `[79]`} {
		if got := string(snap[name]); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	if _, ok := snap["entityTypeId"]; ok {
		t.Error("entityTypeId kept as a field of the record")
	}
	if when, ok := When(snap); !ok || when.Hour() != 10 {
		t.Errorf("When = %v %v", when, ok)
	}
	if a := Author(snap); a != "4" {
		t.Errorf("Author = %q, want 4", a)
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(legacy, &raw) != nil || raw["DATE_MODIFY"] == nil {
		t.Errorf("legacy form lacks DATE_MODIFY: %s", legacy)
	}
}
