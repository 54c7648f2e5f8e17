package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
)

func TestLimitSeconds(t *testing.T) {
	l, c := b24test.StandardLimits(), b24test.DefaultCost()
	// 200,000 deals: 80 requests, 30 beyond the burst at 2/s = 15 s, plus
	// the last full request: 30 ms + 50·2 ms + 2,500·20 µs = 0.18 s.
	if got := LimitSeconds(200_000, 1, l, c); math.Abs(got-15.18) > 1e-9 {
		t.Errorf("200k: %v", got)
	}
	// Within the burst only the request's own cost counts.
	if got := LimitSeconds(2_600, 1, l, c); math.Abs(got-(0.030+2*0.002+100*0.00002)) > 1e-9 {
		t.Errorf("2,600: %v", got)
	}
	// A tiny budget makes the window the limit.
	l.OperatingBudget, l.OperatingWindow = time.Second, time.Minute
	if got := LimitSeconds(200_000, 1, l, c); got < 11*60 {
		t.Errorf("operating-bound: %v", got)
	}
}

func TestRunBenchSmall(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := RunSync(context.Background(), []string{"sync", "--deals", "3000", "--clients", "2"}, &out, &errOut); err != nil {
		t.Fatal(err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var r SyncResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Items != 6000 || r.RateLimited != 0 || r.HTTPRequests < 4 || r.LimitSeconds <= 0 || r.Efficiency <= 0 {
		t.Errorf("result %+v", r)
	}
}
