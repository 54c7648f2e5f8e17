package history

import (
	"testing"
	"time"
)

// TestChangedSince: fields changed after a moment by others (or by nobody
// named) count; the person's own later changes and earlier changes do not.
func TestChangedSince(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	steps := []Step{ // newest first
		{ID: 4, Action: Updated, At: at.Add(3 * time.Hour), Author: 0, Changes: []Change{{Field: "STAGE_ID"}}},
		{ID: 3, Action: Updated, At: at.Add(2 * time.Hour), Author: 7, Changes: []Change{{Field: "COMMENTS"}}},
		{ID: 2, Action: Updated, At: at.Add(time.Hour), Author: 5, Changes: []Change{{Field: "TITLE"}}},
		{ID: 1, Action: Updated, At: at, Author: 5, Changes: []Change{{Field: "OPPORTUNITY"}}},
	}
	got := ChangedSince(steps, Moment{At: at, Until: 2}, 7)
	if !got["STAGE_ID"] || !got["TITLE"] || got["COMMENTS"] || got["OPPORTUNITY"] || len(got) != 2 {
		t.Errorf("ChangedSince = %v, want STAGE_ID and TITLE", got)
	}
}
