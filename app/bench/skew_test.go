package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/db/dbtest"
)

// Every event gets a record of its own, the heavy portal its share of
// them, and no record lies beyond what the emulator was given.
func TestSplitPlacesEachEventOnItsOwnRecord(t *testing.T) {
	for _, sp := range []split{{portals: 7}, {portals: 7, skew: 0.5}, {portals: 3, skew: 0.9}, {portals: 10, skew: 0.13}} {
		const n = 1000
		heavy, each := sp.records(n)
		seen := map[[2]int]bool{}
		var onHeavy int
		for i := range n {
			p, rec := sp.target(i)
			if seen[[2]int{p, rec}] {
				t.Fatalf("%+v: event %d reuses portal %d record %d", sp, i, p, rec)
			}
			seen[[2]int{p, rec}] = true
			if p < 0 || p >= sp.portals || rec < 1 {
				t.Fatalf("%+v: event %d on portal %d record %d", sp, i, p, rec)
			}
			if limit := each; p == 0 && sp.skew > 0 {
				limit = heavy
				onHeavy++
				if rec > limit {
					t.Fatalf("%+v: heavy record %d beyond %d", sp, rec, limit)
				}
			} else if rec > limit {
				t.Fatalf("%+v: portal %d record %d beyond %d", sp, p, rec, limit)
			}
			if sp.heavy(i) != (sp.skew > 0 && p == 0) {
				t.Fatalf("%+v: event %d heavy %t on portal %d", sp, i, sp.heavy(i), p)
			}
		}
		if want := int(float64(n) * sp.skew); onHeavy != want {
			t.Errorf("%+v: heavy portal got %d events, want %d", sp, onHeavy, want)
		}
	}
}

func runSmall(t *testing.T, args ...string) Result {
	t.Helper()
	dbtest.URL(t) // the bench makes its database next to DATABASE_URL's
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := RunEvents(ctx, args, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var r Result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// With a skew the heavy portal's events are counted apart: all recorded,
// at a rate, and the other portals' changes recorded once each.
func TestRunEventsSkew(t *testing.T) {
	r := runSmall(t, "--portals", "3", "--events", "40", "--concurrency", "2", "--skew", "0.5", "--timeout", "1m")
	if r.Events != 40 || r.HeavyEvents != 20 || r.HeavyPending != 0 || r.Lost != 0 || r.Duplicates != 0 {
		t.Errorf("result %+v", r)
	}
	if r.HeavyRecordsPerS <= 0 || r.HeavyLimitPerS <= 0 || r.Skew != 0.5 {
		t.Errorf("heavy portal's rate not reported: %+v", r)
	}
	if r.CPUProcessMsPerEvent <= 0 || r.XactsPerEvent <= 0 {
		t.Errorf("no CPU reported: %+v", r)
	}
}

// The rate search reports every rate it held and the highest that held.
func TestRunEventsFindRate(t *testing.T) {
	r := runSmall(t, "--portals", "2", "--concurrency", "2", "--find-rate", "--rate", "5", "--step", "1s", "--timeout", "1m")
	if len(r.Steps) == 0 || r.Steps[0].Rate != 5 {
		t.Fatalf("steps %+v", r.Steps)
	}
	var last float64
	for _, s := range r.Steps {
		if s.Held {
			last = s.Rate
		}
	}
	if r.Sustained != last {
		t.Errorf("sustained %v, highest held step %v", r.Sustained, last)
	}
}
