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

// With one trail serve and two trail work processes, as a deployment runs
// them, the events bench still records every change it sends exactly once.
func TestRunEventsProcesses(t *testing.T) {
	dbtest.URL(t) // the bench makes its database next to DATABASE_URL's
	var out, errOut bytes.Buffer
	args := []string{"--portals", "2", "--events", "20", "--concurrency", "2", "--timeout", "1m",
		"--processes", "serve+2work", "--trail", trailtest.Binary(t)}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := RunEvents(ctx, args, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var r Result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Portals != 2 || r.Events != 20 || r.Rejected != 0 || r.Lost != 0 || r.Duplicates != 0 {
		t.Errorf("result %+v", r)
	}
	if r.CPUTrailMsPerEvent <= 0 {
		t.Errorf("Trail's processes spent %v ms of CPU an event, want their share apart from the bench's", r.CPUTrailMsPerEvent)
	}
}

func TestParseProcesses(t *testing.T) {
	for v, want := range map[string]int{"one": 0, "serve+work": 1, "serve+2work": 2, "serve+16work": 16} {
		if p, err := parseProcesses(v); err != nil || p.work != want {
			t.Errorf("parseProcesses(%q) = %d, %v; want %d", v, p.work, err, want)
		}
	}
	if p, err := parseProcesses("all"); err != nil || !p.all || p.work != 0 || !p.children() || p.String() != "all" {
		t.Errorf("parseProcesses(all) = %+v, %v", p, err)
	}
	if p, _ := parseProcesses("one"); p.children() {
		t.Errorf("one runs Trail in child processes")
	}
	for _, v := range []string{"", "two", "All", "serve", "serve+0work", "serve+17work", "serve+-1work", "serve+2", "2work", "serve+xwork"} {
		if _, err := parseProcesses(v); err == nil {
			t.Errorf("parseProcesses(%q) accepted", v)
		}
	}
}
