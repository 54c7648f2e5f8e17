package b24test

import "testing"

// TestItemUpdateClearsMultipleFields: a form cannot send an empty list, so
// a multiple field is cleared with a list of one empty value
// (fields[X][]=); a multiple file field so cleared loses its files, as
// with [] (https://apidocs.bitrix24.com/api-reference/files/how-to-update-files.html).
func TestItemUpdateClearsMultipleFields(t *testing.T) {
	t.Parallel()
	s, p, tok := installed(t, Options{Deals: 3})
	call := func(m string, params map[string]any) answer { return appCall(t, s, p, tok.AccessToken, m, params) }
	item := itemOf(t, call("crm.item.add", map[string]any{"entityTypeId": 2, "fields": map[string]any{
		"title":            "with files",
		"ufCrm_1700000007": [][]string{{"a.txt", b64("first")}, {"b.txt", b64("second")}},
	}}))
	if len(list(item["ufCrm_1700000007"])) != 2 {
		t.Fatalf("added item: %v", item)
	}
	item = itemOf(t, call("crm.item.update", map[string]any{"entityTypeId": 2, "id": item["id"], "fields": map[string]any{
		"ufCrm_1700000007": []string{""},
	}}))
	if got := list(item["ufCrm_1700000007"]); len(got) != 0 {
		t.Errorf("files after clearing: %v", got)
	}
}
