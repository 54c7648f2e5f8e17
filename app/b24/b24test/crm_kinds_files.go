package b24test

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"slices"
	"strconv"
)

// File user fields hold file ids: a string for a single field, []string
// for a multiple one. This file is the one place that knows their value
// forms (https://apidocs.bitrix24.com/api-reference/files/how-to-update-files.html).

// fileItemValue renders a file field for crm.item: an array of
// {id, url, urlMachine}, null when empty. The urls are paths on the
// portal; nothing is served there yet.
func fileItemValue(et *entityType, id int, f *field, v any) any {
	ids := fileIDs(v)
	if len(ids) == 0 {
		return nil
	}
	out := listOf()
	for _, fid := range ids {
		n, _ := strconv.Atoi(fid)
		q := url.Values{"entityTypeId": {strconv.Itoa(et.id)}, "id": {strconv.Itoa(id)}, "fieldName": {f.name}, "fileId": {fid}}
		out.push(objOf(
			"id", n,
			"url", "/bitrix/services/main/ajax.php?action=crm.controller.item.getFile&SITE_ID=s1&"+q.Encode(),
			"urlMachine", "/rest/crm.controller.item.getFile.json?"+q.Encode(),
		))
	}
	return out
}

func fileIDs(v any) []string {
	switch x := v.(type) {
	case string:
		if x != "" {
			return []string{x}
		}
	case []string:
		return x
	}
	return nil
}

// fileInput applies a crm.item.update value to a file field: a
// ["name", "<base64>"] pair uploads a new file, "" clears, {"id": N} keeps
// file N if the field holds it (another id clears the value); a multiple
// field is set as a whole from a list of such values.
func (p *Portal) fileInput(f *field, cur, v any) (any, error) {
	held := fileIDs(cur)
	one := func(x any) (string, error) {
		if o := asObj(x); o != nil && !o.isList() {
			fid := str(valueCI(o, "id"))
			if slices.Contains(held, fid) {
				return fid, nil
			}
			return "", nil
		}
		pair := strList(x)
		if len(pair) != 2 {
			return "", fmt.Errorf("field %s expects a file as [name, base64 content]", f.name)
		}
		if _, err := base64.StdEncoding.DecodeString(pair[1]); err != nil {
			return "", fmt.Errorf("field %s: file content is not base64", f.name)
		}
		p.seq.file++
		return strconv.Itoa(1<<30 + p.seq.file), nil
	}
	if !f.multiple {
		if str(v) == "" && asObj(v) == nil {
			return "", nil
		}
		return one(v)
	}
	list := asObj(v)
	if list == nil {
		return []string(nil), nil
	}
	var out []string
	for _, x := range list.values() {
		fid, err := one(x)
		if err != nil {
			return nil, err
		}
		if fid != "" {
			out = append(out, fid)
		}
	}
	return out, nil
}
