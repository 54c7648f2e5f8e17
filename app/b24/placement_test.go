package b24

import (
	"encoding/json"
	"testing"
)

func TestPlacementOptionsDecode(t *testing.T) {
	for in, want := range map[string]int{
		`{"placement":"CRM_DEAL_DETAIL_TAB","options":[]}`:        0,
		`{"placement":"CRM_DEAL_DETAIL_TAB","options":null}`:      0,
		`{"placement":"CRM_DEAL_DETAIL_TAB"}`:                     0,
		`{"placement":"CRM_DEAL_DETAIL_TAB","options":{"a":"1"}}`: 1,
	} {
		var p Placement
		if err := json.Unmarshal([]byte(in), &p); err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if len(p.Options) != want {
			t.Errorf("%s: %d options, want %d", in, len(p.Options), want)
		}
	}
	var p Placement
	if err := json.Unmarshal([]byte(`{"options":[1]}`), &p); err == nil {
		t.Error("a non-empty list decoded as options")
	}
}
