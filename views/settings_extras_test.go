package views

import (
	"context"
	"strings"
	"testing"
)

// TestSyncBarShowsTheExtrasStep: a type whose field baseline is done but
// whose extras step still runs shows that step as a row of its own, and
// the bar keeps polling until it is done.
func TestSyncBarShowsTheExtrasStep(t *testing.T) {
	ctx := context.Background()
	running := SyncProgress{Rows: []SyncRow{{Entity: "deal", Label: "Deals", State: "done", Done: 10, Total: 10,
		Extras: &SyncRow{Label: "product rows, links", State: "running", Done: 4, Total: 10}}}}
	out := render(t, ctx, SyncBar(running))
	if !strings.Contains(out, `data-extras="deal" data-done="4" data-total="10"`) || !strings.Contains(out, `class="sync-extras running"`) {
		t.Errorf("the extras step is not shown: %s", out)
	}
	if !strings.Contains(out, `hx-trigger="every 1s"`) {
		t.Errorf("the bar stops polling while the extras step runs: %s", out)
	}
	running.Rows[0].Extras.State, running.Rows[0].Extras.Done = "done", 10
	if out := render(t, ctx, SyncBar(running)); strings.Contains(out, `hx-trigger`) || !strings.Contains(out, `class="sync-extras done"`) {
		t.Errorf("done: %s", out)
	}
}
