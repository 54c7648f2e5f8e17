package b24

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strconv"
)

// ID is a Bitrix24 identifier. Portals send IDs as numbers or as numeric
// strings depending on the method; ID accepts both and marshals as a number.
type ID int64

// UnmarshalJSON accepts 5, "5", null and "".
func (id *ID) UnmarshalJSON(b []byte) error {
	var n flexInt
	if err := n.UnmarshalJSON(b); err != nil {
		return err
	}
	*id = ID(n)
	return nil
}

func (id ID) String() string { return strconv.FormatInt(int64(id), 10) }

// Field describes one field of a CRM entity (crm.*.fields, crm.item.fields).
type Field struct {
	Type         string          `json:"type"`
	IsRequired   bool            `json:"isRequired"`
	IsReadOnly   bool            `json:"isReadOnly"`
	IsImmutable  bool            `json:"isImmutable"`
	IsMultiple   bool            `json:"isMultiple"`
	IsDynamic    bool            `json:"isDynamic"`
	IsDeprecated bool            `json:"isDeprecated"`
	Title        string          `json:"title"`
	ListLabel    string          `json:"listLabel"`
	FormLabel    string          `json:"formLabel"`
	FilterLabel  string          `json:"filterLabel"`
	StatusType   string          `json:"statusType"`
	UpperName    string          `json:"upperName"`
	Items        []FieldItem     `json:"items"`
	Settings     json.RawMessage `json:"settings"`
}

// FieldItem is one value of an enumeration field.
type FieldItem struct {
	ID    ID     `json:"ID"`
	Value string `json:"VALUE"`
}

// Label is the field's human name: for user fields the title is the field
// code and the label lives in listLabel/formLabel.
func (f Field) Label() string {
	for _, s := range []string{f.FormLabel, f.ListLabel, f.FilterLabel} {
		if s != "" {
			return s
		}
	}
	return f.Title
}

// CRMFields returns the fields of a legacy CRM entity: "deal", "lead",
// "contact" or "company" (crm.deal.fields…).
func (c *Client) CRMFields(ctx context.Context, entity string) (map[string]Field, error) {
	var f map[string]Field
	err := c.decode(ctx, "crm."+entity+".fields", nil, &f)
	return f, err
}

// CRMGet returns one record of a legacy CRM entity (crm.deal.get…). A
// missing record is an error matching ErrNotFound.
func (c *Client) CRMGet(ctx context.Context, entity string, id int64) (json.RawMessage, error) {
	resp, err := c.Call(ctx, "crm."+entity+".get", Params{"id": id})
	if err != nil {
		return nil, err
	}
	return resp.Result, nil
}

// CRMList lists all records of a legacy CRM entity matching filter, with
// the selected fields (nil: the portal's default), see List.
func (c *Client) CRMList(ctx context.Context, entity string, filter Params, sel []string) iter.Seq2[json.RawMessage, error] {
	p := Params{}
	if filter != nil {
		p["filter"] = filter
	}
	if sel != nil {
		p["select"] = sel
	}
	return c.List(ctx, ListOptions{Method: "crm." + entity + ".list", Params: p})
}

// ItemFields returns the fields of a CRM entity type (crm.item.fields).
func (c *Client) ItemFields(ctx context.Context, entityTypeID int) (map[string]Field, error) {
	var r struct {
		Fields map[string]Field `json:"fields"`
	}
	err := c.decode(ctx, "crm.item.fields", Params{"entityTypeId": entityTypeID}, &r)
	return r.Fields, err
}

// ItemGet returns one item (crm.item.get).
func (c *Client) ItemGet(ctx context.Context, entityTypeID int, id int64) (json.RawMessage, error) {
	var r struct {
		Item json.RawMessage `json:"item"`
	}
	err := c.decode(ctx, "crm.item.get", Params{"entityTypeId": entityTypeID, "id": id}, &r)
	return r.Item, err
}

// ItemList lists all items of an entity type matching filter (crm.item.list).
func (c *Client) ItemList(ctx context.Context, entityTypeID int, filter Params, sel []string) iter.Seq2[json.RawMessage, error] {
	p := Params{"entityTypeId": entityTypeID}
	if filter != nil {
		p["filter"] = filter
	}
	if sel != nil {
		p["select"] = sel
	}
	return c.List(ctx, ListOptions{Method: "crm.item.list", Params: p})
}

// decode calls a method and unmarshals its result into v.
func (c *Client) decode(ctx context.Context, method string, p Params, v any, opts ...CallOption) error {
	resp, err := c.Call(ctx, method, p, opts...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(resp.Result, v); err != nil && !isEmptyCollection(resp.Result) {
		return fmt.Errorf("b24: decoding %s result: %w", method, err)
	}
	return nil
}
