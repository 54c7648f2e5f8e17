package jobs

import (
	"encoding/json"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
)

// How Trail reads records. The four legacy types are read through their
// legacy methods (crm.deal.get, crm.deal.list), as they always were, so
// that their stored snapshots and history keep the very values they had;
// crm.item.* gives them in other shapes (numbers for IDs, ISO dates with
// another offset form, booleans as Y/N) and leaves the multi-fields out of
// its listing. Every other type (estimates, smart invoices, smart
// processes) is read through crm.item.*, with useOriginalUfNames=Y and its
// names mapped to the legacy ones through the field metadata
// (history.ItemFields), so every snapshot has one form.
// https://apidocs.bitrix24.com/api-reference/crm/universal/index.html

// addGet adds to b, as name, the command that reads record id of t.
func addGet(b *b24.Batch, name string, t crm.Type, id int64) {
	if t.Legacy() {
		b.Add(name, t.Method("get"), b24.Params{"id": id})
		return
	}
	b.Add(name, "crm.item.get", b24.Params{"entityTypeId": int(t), "id": id, "useOriginalUfNames": "Y"})
}

// parseGot reads the answer of addGet's command.
func parseGot(t crm.Type, schema *history.Schema, raw json.RawMessage) (history.Snapshot, error) {
	if t.Legacy() {
		return history.ParseSnapshot(raw)
	}
	return history.GotItemSnapshot(schema, raw)
}

// parseListed reads a row of listOf's listing.
func parseListed(t crm.Type, schema *history.Schema, raw json.RawMessage) (history.Snapshot, error) {
	if t.Legacy() {
		return history.ParseSnapshot(raw)
	}
	return history.ItemSnapshot(schema, raw)
}

// listOf lists t's records, each with every field (select), filtered by
// filter (legacy names: DATE_MODIFY), 50 a page chained in batches by ID.
func listOf(t crm.Type, schema *history.Schema, sel []string, filter b24.Params) b24.ListOptions {
	if t.Legacy() {
		p := b24.Params{"select": sel}
		if filter != nil {
			p["filter"] = filter
		}
		return b24.ListOptions{Method: t.Method("list"), Params: p}
	}
	p := b24.Params{"entityTypeId": int(t), "useOriginalUfNames": "Y", "select": itemSelect(sel)}
	if filter != nil {
		f := b24.Params{}
		for k, v := range filter {
			f[itemFilterKey(k)] = v
		}
		p["filter"] = f
	}
	return b24.ListOptions{Method: "crm.item.list", Params: p}
}

// countOf is the method and parameters of the one counted page that
// tells how many records of t there are.
func countOf(t crm.Type) (string, b24.Params) {
	if t.Legacy() {
		return t.Method("list"), b24.Params{"select": []string{"ID"}, "start": 0}
	}
	return "crm.item.list", b24.Params{"entityTypeId": int(t), "select": []string{"id"}, "start": 0}
}

// itemNames are the crm.item names of the legacy names listings select
// and filter by.
var itemNames = map[string]string{"ID": "id", "DATE_MODIFY": "updatedTime"}

// itemSelect is a legacy select list in crm.item names: "*" (every field,
// user fields and multiple ones included) for the masks.
func itemSelect(sel []string) []string {
	var out []string
	for _, s := range sel {
		if n, ok := itemNames[s]; ok {
			out = append(out, n)
		} else if s == "*" {
			return []string{"*"}
		}
	}
	return out
}

// itemFilterKey is a legacy filter key (">DATE_MODIFY") in crm.item names.
func itemFilterKey(k string) string {
	i := 0
	for i < len(k) && (k[i] == '>' || k[i] == '<' || k[i] == '=' || k[i] == '!' || k[i] == '@') {
		i++
	}
	if n, ok := itemNames[k[i:]]; ok {
		return k[:i] + n
	}
	return k
}
