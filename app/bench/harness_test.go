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

// The events bench installs its portals (their install events must reach
// Trail: the portals lose deliveries only afterwards) and records every
// change it sends exactly once.
func TestRunEventsSmall(t *testing.T) {
	dbtest.URL(t) // the bench makes its database next to DATABASE_URL's
	var out, errOut bytes.Buffer
	args := []string{"--portals", "2", "--events", "20", "--concurrency", "2", "--timeout", "1m"}
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
}
