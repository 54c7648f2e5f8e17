package revert

import (
	"slices"
	"testing"

	"github.com/trailhq/trail/app/history"
)

// TestFromState: a state's tracked fields become targets in field order,
// unknown ones kept (Plan skips them with the reason), untracked ones left
// out, and a field someone else changed since is a conflict.
func TestFromState(t *testing.T) {
	st := map[string]history.Value{"TITLE": text("then"), "COMMENTS": {}, "UF_LATER": history.Unknown, "IGNORED": text("x")}
	got := FromState(st, func(f string) bool { return f != "IGNORED" }, map[string]bool{"TITLE": true})
	want := []Target{{Field: "COMMENTS"}, {Field: "TITLE", Want: text("then"), Conflict: true}, {Field: "UF_LATER", Want: history.Unknown}}
	if !slices.EqualFunc(got, want, func(a, b Target) bool { return a.Field == b.Field && a.Want.Equal(b.Want) && a.Conflict == b.Conflict }) {
		t.Errorf("FromState = %+v, want %+v", got, want)
	}
}
