package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db/dbtest"
)

// lastLine decodes the JSON a bench prints as its last line.
func lastLine(t *testing.T, out string, v any) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), v); err != nil {
		t.Fatal(err, out)
	}
}

// The baseline bench waits for every type's baseline, counts a snapshot
// per deal, and, with Trail in a child process, reads its peak memory.
func TestRunBaselineSmall(t *testing.T) {
	dbtest.URL(t) // the bench makes its database next to DATABASE_URL's
	var out, errOut bytes.Buffer
	args := []string{"--deals", "300", "--processes", "all", "--trail", trailtest.Binary(t), "--timeout", "2m"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := RunBaseline(ctx, args, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	var r BaselineResult
	lastLine(t, out.String(), &r)
	if r.Deals != 300 || r.Snapshots != 300 || r.ListingRequests != 1 || r.HTTPRequests < 1 ||
		r.Seconds <= 0 || r.LimitSeconds <= 0 || r.SnapshotBytes <= 0 || r.Processes != "all" {
		t.Errorf("result %+v", r)
	}
	if r.PeakRSSMB["all"] <= 0 {
		t.Errorf("peak RSS %v, want the trail all process's", r.PeakRSSMB)
	}
}

// The storage bench records every edit it makes, repeats it, splits the
// bytes per history row into the table, its TOAST table and each index,
// and prunes the expired rows it generated while the drains record the
// edits it goes on making.
func TestRunStorageSmall(t *testing.T) {
	dbtest.URL(t)
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{"--deals", "40", "--copies", "2", "--prune", "20000", "--rate", "10", "--window", "2s", "--timeout", "2m"}
	if err := RunStorage(ctx, args, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	var r StorageResult
	lastLine(t, out.String(), &r)
	if r.HistoryRows < 3*40 || r.Snapshots != 3*40 || r.HistoryBytes <= 0 || r.SnapshotBytes <= 0 {
		t.Errorf("result %+v", r)
	}
	if p := r.Prune; p == nil || p.Rows != 20000 || p.Seconds <= 0 || p.BytesPerRow <= 0 || p.Before.Edits == 0 || p.Before.Unrecorded != 0 || p.Before.LagP50ms <= 0 {
		t.Errorf("prune %+v", r.Prune)
	}
	sum := 0.0
	for _, b := range r.HistoryParts {
		sum += b
	}
	if r.HistoryParts["heap"] <= 0 || r.HistoryParts["history_record_idx"] <= 0 || sum < r.HistoryBytes-1 || sum > r.HistoryBytes+1 {
		t.Errorf("history parts %v do not add up to %.2f", r.HistoryParts, r.HistoryBytes)
	}
}
