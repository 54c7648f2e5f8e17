package history

import (
	"encoding/json"
	"fmt"
)

// ItemFields turns a crm.item.fields answer, asked with
// useOriginalUfNames=Y, into the form of a legacy *.fields answer: each
// field keyed by its upperName (TITLE, UF_CRM_13_1742999523), with its
// crm.item name kept as itemName so that ItemSnapshot can map records the
// same way. Names come from the portal's own metadata, never from a
// pattern: Bitrix24's camelCase rule has exceptions
// (https://apidocs.bitrix24.com/api-reference/crm/universal/index.html).
// crm.item calls the Y/N flags of standard fields "boolean"; they are
// "char" here, as in the legacy answers, since user-field booleans are 1/0.
func ItemFields(result []byte) (json.RawMessage, error) {
	var ans struct {
		Fields map[string]map[string]json.RawMessage `json:"fields"`
	}
	if err := json.Unmarshal(result, &ans); err != nil {
		return nil, fmt.Errorf("history: parse item fields: %w", err)
	}
	out := make(map[string]map[string]json.RawMessage, len(ans.Fields))
	for name, d := range ans.Fields {
		var upper string
		if json.Unmarshal(d["upperName"], &upper) != nil || upper == "" {
			upper = name
		}
		if legacy, ok := itemLegacyNames[name]; ok {
			upper = legacy
		}
		var dynamic bool
		_ = json.Unmarshal(d["isDynamic"], &dynamic)
		var typ Type
		if json.Unmarshal(d["type"], &typ) == nil && typ == TypeBoolean && !dynamic {
			d["type"] = json.RawMessage(`"char"`)
		}
		d["itemName"], _ = json.Marshal(name)
		out[upper] = d
	}
	return json.Marshal(out)
}

// itemLegacyNames are the bookkeeping fields whose upperName differs by
// type (a smart process's updatedTime is UPDATED_TIME, a deal's is
// DATE_MODIFY): they take the legacy name everywhere, so that who and when
// of a state, and the fields a diff skips, are read the same for every
// type.
var itemLegacyNames = map[string]string{
	"createdTime": "DATE_CREATE",
	"createdBy":   "CREATED_BY_ID",
	"updatedTime": "DATE_MODIFY",
	"updatedBy":   "MODIFY_BY_ID",
	"movedTime":   "MOVED_TIME",
	"movedBy":     "MOVED_BY_ID",
}

// GotItemSnapshot is ItemSnapshot of a crm.item.get answer, whose record
// stands under "item".
func GotItemSnapshot(s *Schema, raw []byte) (Snapshot, error) {
	var ans struct {
		Item json.RawMessage `json:"item"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil || ans.Item == nil {
		return nil, fmt.Errorf("crm.item.get answered without an item")
	}
	return ItemSnapshot(s, ans.Item)
}

// ItemSnapshot reads a crm.item record (asked with useOriginalUfNames=Y)
// into a Snapshot in the legacy form: each field under the name the
// schema (from ItemFields) gives it. A field the schema does not know
// keeps its crm.item name; without a schema only the ID and the
// bookkeeping fields are renamed.
func ItemSnapshot(s *Schema, item []byte) (Snapshot, error) {
	snap, err := ParseSnapshot(item)
	if err != nil {
		return nil, err
	}
	names := map[string]string{"id": "ID"}
	for item, name := range itemLegacyNames {
		names[item] = name
	}
	if s != nil {
		for name, f := range s.Fields {
			if f.ItemName != "" {
				names[f.ItemName] = name
			}
		}
	}
	// entityTypeId names the record's type, which Trail keeps apart; it
	// is not a field of the record.
	delete(snap, "entityTypeId")
	out := make(Snapshot, len(snap))
	for k, v := range snap {
		if name, ok := names[k]; ok {
			k = name
		}
		out[k] = v
	}
	return out, nil
}
