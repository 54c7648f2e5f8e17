package revert

import (
	"github.com/trailhq/trail/app/history"
)

// Estimates, smart invoices and smart processes are read through crm.item.*
// and stored in the legacy form (history.ItemSnapshot): a field under its
// upperName, its value normalised like a legacy one. Writing one back is
// the reverse, through crm.item.update with useOriginalUfNames=Y: the
// field under its crm.item name, the value in the shape crm.item takes.
// https://apidocs.bitrix24.com/api-reference/crm/universal/crm-item-update.html

// itemField is the name crm.item.update takes for a field Trail stores as
// name: its crm.item name from the type's own crm.item.fields (asked with
// useOriginalUfNames=Y, so a user field keeps its UF_CRM_… code), never
// derived by pattern. A field the metadata does not describe was stored
// under its crm.item name already. Product rows are not a field of the
// item (crm.item.productrow.set writes them).
func itemField(s *history.Schema, name string) (string, bool) {
	return itemName(s.Field(name))
}

func itemName(f history.Field) (string, bool) {
	switch {
	case f.Name == "" || f.Name == history.ProductRows:
		return "", false
	case f.ItemName != "":
		return f.ItemName, true
	}
	return f.Name, true
}

// emptyMultiple clears a multiple field: crm.item.update wants an iterable
// value for one ("Expected iterable value for multiple field"), and a form
// cannot send an empty list, so it gets a list of one empty value
// (fields[X][]=), which holds nothing.
var emptyMultiple = []string{""}

// itemValue is want as crm.item.update takes it for field f:
//   - files: kept by the id of a file the field holds ({"id": N}), a
//     multiple field as the whole list of them; a file the field no
//     longer holds never gets here (unwritable);
//   - multiple fields, links among them (contactIds, observers): the whole
//     list of values, which replaces the set;
//   - flags: "Y"/"N", user-field booleans included;
//   - everything else as Trail stores it, which is what crm.item takes:
//     numbers, money "amount|CUR", dates (2024-08-30) and times in ISO 8601
//     (UTC), enumerations by item id, stages, pipelines, users and linked
//     records by id, CRM links as "D_12".
func itemValue(f history.Field, want history.Value) any {
	list := elements(want)
	switch {
	case f.Type == history.TypeFile:
		files := make([]any, 0, len(list))
		for _, v := range list {
			files = append(files, map[string]any{"id": v.Text})
		}
		switch {
		case len(files) == 0 && f.Multiple:
			return emptyMultiple
		case len(files) == 0:
			return ""
		case f.Multiple:
			return files
		}
		return files[0]
	case f.Multiple || want.Kind == history.KindList:
		if len(list) == 0 {
			return emptyMultiple
		}
		texts := make([]string, len(list))
		for i, v := range list {
			texts[i] = itemScalar(f, v)
		}
		return texts
	}
	return itemScalar(f, want)
}

// itemScalar is one value as crm.item takes it: flags as Y/N.
func itemScalar(f history.Field, v history.Value) string {
	switch {
	case f.Type == history.TypeChar || f.Type == history.TypeBoolean:
		if v.Kind == history.KindBool && v.Text == "Y" {
			return "Y"
		}
		return "N"
	case v.IsEmpty():
		return ""
	}
	return v.Text
}
