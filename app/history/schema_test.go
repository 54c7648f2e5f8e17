package history

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestParseFields(t *testing.T) {
	s := dealSchema(t)
	if len(s.Fields) != 60 {
		t.Errorf("%d fields, want 60", len(s.Fields))
	}
	tests := []struct {
		name string
		want Field
	}{
		{"STAGE_ID", Field{Name: "STAGE_ID", Type: TypeStatus, Title: "Deal Stage", StatusType: "DEAL_STAGE"}},
		{"OPPORTUNITY", Field{Name: "OPPORTUNITY", Type: TypeDouble, Title: "Amount"}},
		{"DATE_MODIFY", Field{Name: "DATE_MODIFY", Type: TypeDateTime, ReadOnly: true, Title: "Modification Date"}},
		// A user field's title is its code; the label comes from listLabel.
		{"UF_CRM_1687188367", Field{Name: "UF_CRM_1687188367", Type: TypeEnumeration, Custom: true, Title: "Subsidiary",
			Items: []EnumItem{{"79", "North"}, {"80", "South"}, {"81", "East"}}}},
		{"UF_CRM_1687189100", Field{Name: "UF_CRM_1687189100", Type: TypeEmployee, Multiple: true, Custom: true, Title: "Reviewers"}},
		// Unknown to the schema: built-in knowledge, then nothing.
		{"PHONE", Field{Name: "PHONE", Type: TypeMultifield, Multiple: true}},
		{"PARENT_ID_177", Field{Name: "PARENT_ID_177", Type: TypeEntity}},
		{"UF_CRM_GONE", Field{Name: "UF_CRM_GONE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Field(tt.name); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Field = %+v\nwant %+v", got, tt.want)
			}
		})
	}
	if label, ok := s.Field("UF_CRM_1687188367").Item("80"); !ok || label != "South" {
		t.Errorf("Item(80) = %q, %v", label, ok)
	}
	if _, ok := s.Field("UF_CRM_1687188367").Item("1"); ok {
		t.Error("Item(1) found")
	}
}

func TestParseFieldsShapes(t *testing.T) {
	// Numeric item IDs and a label map instead of a string.
	s, err := ParseFields([]byte(`{"UF_CRM_1":{"type":"enumeration","isDynamic":true,"title":"UF_CRM_1",
		"listLabel":{"en":"Colour"},"formLabel":"Color","items":[{"ID":5,"VALUE":"Red"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	f := s.Field("UF_CRM_1")
	if f.Title != "Color" || len(f.Items) != 1 || f.Items[0].ID != "5" {
		t.Errorf("Field = %+v", f)
	}
	for _, bad := range []string{``, `[]`, `{"X":1}`, `{"X":{"isMultiple":"yes"}}`} {
		if _, err := ParseFields([]byte(bad)); err == nil {
			t.Errorf("ParseFields(%s) succeeded", bad)
		}
	}
}

func TestNilSchema(t *testing.T) {
	var s *Schema
	if f := s.Field("OPPORTUNITY"); f.Type != TypeDouble {
		t.Errorf("nil schema OPPORTUNITY type = %q", f.Type)
	}
}

func TestSchemaJSON(t *testing.T) {
	s := dealSchema(t)
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Schema
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, s) {
		t.Error("schema changed in a JSON round trip")
	}
}
