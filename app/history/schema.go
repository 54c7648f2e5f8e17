package history

import (
	"encoding/json"
	"fmt"
)

// Type is a field type as the *.fields methods name it ("double",
// "crm_status", "enumeration", ...). The empty Type means "not known": the
// value's own shape decides how it is compared.
type Type string

// Field types Trail treats specially. Other types compare as trimmed text.
const (
	TypeUnknown     Type = ""
	TypeString      Type = "string"
	TypeInteger     Type = "integer"
	TypeDouble      Type = "double"
	TypeChar        Type = "char"    // Y/N flag of standard fields
	TypeBoolean     Type = "boolean" // user field, 1/0
	TypeDate        Type = "date"
	TypeDateTime    Type = "datetime"
	TypeMoney       Type = "money" // user field, "100.00|USD"
	TypeEnumeration Type = "enumeration"
	TypeStatus      Type = "crm_status"
	TypeCategory    Type = "crm_category"
	TypeCurrency    Type = "crm_currency"
	TypeMultifield  Type = "crm_multifield"
	TypeUser        Type = "user"
	TypeEmployee    Type = "employee"
	TypeCRM         Type = "crm" // user field binding to CRM records, "D_12"
	TypeCompany     Type = "crm_company"
	TypeContact     Type = "crm_contact"
	TypeLead        Type = "crm_lead"
	TypeDeal        Type = "crm_deal"
	TypeQuote       Type = "crm_quote"
	TypeEntity      Type = "crm_entity"
	TypeFile        Type = "file"
	TypeURL         Type = "url"
)

// EnumItem is one choice of an enumeration user field.
type EnumItem struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

// Field is what Trail knows about one field of an entity, taken from a
// *.fields answer. The zero Field (apart from Name) means "no metadata".
type Field struct {
	Name       string     `json:"name"`
	Type       Type       `json:"type,omitempty"`
	Multiple   bool       `json:"multiple,omitempty"`
	ReadOnly   bool       `json:"read_only,omitempty"`
	Immutable  bool       `json:"immutable,omitempty"`
	Custom     bool       `json:"custom,omitempty"` // a user field (UF_*)
	Title      string     `json:"title,omitempty"`  // human label, in the portal's language
	StatusType string     `json:"status_type,omitempty"`
	Items      []EnumItem `json:"items,omitempty"`
	// ItemName is the field's name in crm.item answers (ItemFields).
	ItemName string `json:"item_name,omitempty"`
}

// Item returns the label of an enumeration choice.
func (f Field) Item(id string) (string, bool) {
	for _, it := range f.Items {
		if it.ID == id {
			return it.Value, true
		}
	}
	return "", false
}

// Schema is the field metadata of one entity type on one portal. A nil
// *Schema is valid and knows only the built-in types of standard fields.
type Schema struct {
	Fields map[string]Field `json:"fields"`
}

// Field returns the metadata of name: from the schema if it has it, else the
// built-in type of a standard field, else a Field with an unknown type.
func (s *Schema) Field(name string) Field {
	if s != nil {
		if f, ok := s.Fields[name]; ok {
			return f
		}
	}
	return builtinField(name)
}

// fieldDescription is one entry of a *.fields answer (crm_rest_field_description).
type fieldDescription struct {
	Type        Type            `json:"type"`
	IsReadOnly  bool            `json:"isReadOnly"`
	IsImmutable bool            `json:"isImmutable"`
	IsMultiple  bool            `json:"isMultiple"`
	IsDynamic   bool            `json:"isDynamic"`
	Title       string          `json:"title"`
	ListLabel   json.RawMessage `json:"listLabel"`
	FormLabel   json.RawMessage `json:"formLabel"`
	StatusType  string          `json:"statusType"`
	ItemName    string          `json:"itemName"`
	Items       []struct {
		ID    json.RawMessage `json:"ID"`
		Value string          `json:"VALUE"`
	} `json:"items"`
}

// ParseFields builds a Schema from the result of a legacy *.fields method
// (crm.deal.fields, crm.lead.fields, ...): an object of field name → field
// description. For user fields the description's title is the field code, so
// the label is taken from listLabel, then formLabel.
func ParseFields(result []byte) (*Schema, error) {
	var raw map[string]fieldDescription
	if err := json.Unmarshal(result, &raw); err != nil {
		return nil, fmt.Errorf("history: parse fields: %w", err)
	}
	s := &Schema{Fields: make(map[string]Field, len(raw))}
	for name, d := range raw {
		f := Field{
			Name:       name,
			Type:       d.Type,
			Multiple:   d.IsMultiple,
			ReadOnly:   d.IsReadOnly,
			Immutable:  d.IsImmutable,
			Custom:     d.IsDynamic,
			Title:      d.Title,
			StatusType: d.StatusType,
			ItemName:   d.ItemName,
		}
		if label := firstLabel(d.ListLabel, d.FormLabel); label != "" && (d.IsDynamic || d.Title == "" || d.Title == name) {
			f.Title = label
		}
		for _, it := range d.Items {
			f.Items = append(f.Items, EnumItem{ID: scalarText(it.ID), Value: it.Value})
		}
		s.Fields[name] = f
	}
	return s, nil
}

// firstLabel returns the first label given as a plain string. Labels given
// as per-language maps are left to the caller that knows the language.
func firstLabel(labels ...json.RawMessage) string {
	for _, l := range labels {
		var s string
		if json.Unmarshal(l, &s) == nil && s != "" {
			return s
		}
	}
	return ""
}

// scalarText renders a JSON string or number as text; IDs come as either.
func scalarText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
