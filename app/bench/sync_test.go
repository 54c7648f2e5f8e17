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
	row := c.LegacyRowCost("deal", []string{"*", "UF_*"})
	if row != c.PerRow {
		t.Fatalf("the cheap model charges fields: %v", row)
	}
	// 200,000 deals: 80 requests, 30 beyond the burst at 2/s = 15 s, plus
	// the last full request: 30 ms + 50·2 ms + 2,500·20 µs = 0.18 s.
	if got := LimitSeconds(200_000, 1, l, c, row); math.Abs(got-15.18) > 1e-9 {
		t.Errorf("200k: %v", got)
	}
	// Within the burst only the request's own cost counts.
	if got := LimitSeconds(2_600, 1, l, c, row); math.Abs(got-(0.030+2*0.002+100*0.00002)) > 1e-9 {
		t.Errorf("2,600: %v", got)
	}
	// A tiny budget makes the window the limit.
	l.OperatingBudget, l.OperatingWindow = time.Second, time.Minute
	if got := LimitSeconds(200_000, 1, l, c, row); got < 11*60 {
		t.Errorf("operating-bound: %v", got)
	}

	// The realistic model: every deal field costs, and 200,000 deals
	// (4,000 pages) spend more than one 480 s budget, so the window binds:
	// 600 s plus the last request.
	l, c = b24test.StandardLimits(), b24test.RealisticCost()
	row = c.LegacyRowCost("deal", []string{"*", "UF_*"})
	spend := 4000*c.PerCall.Seconds() + 200_000*row.Seconds()
	if spend <= 480 || spend > 960 {
		t.Fatalf("realistic spend %v s, want between one and two budgets", spend)
	}
	last := c.Base.Seconds() + 50*c.PerCall.Seconds() + 2500*row.Seconds()
	if got := LimitSeconds(200_000, 1, l, c, row); math.Abs(got-(600+last)) > 1e-9 {
		t.Errorf("realistic 200k: %v, want %v", got, 600+last)
	}
	// A narrow select stays under the budget: the bucket binds again.
	row = c.LegacyRowCost("deal", []string{"ID", "TITLE", "DATE_CREATE"})
	if got := LimitSeconds(200_000, 1, l, c, row); got < 15 || got > 20 {
		t.Errorf("realistic narrow 200k: %v", got)
	}
}

func TestRunBenchSmall(t *testing.T) {
	for _, model := range []string{"cheap", "realistic"} {
		t.Run(model, func(t *testing.T) {
			var out, errOut bytes.Buffer
			args := []string{"sync", "--deals", "3000", "--clients", "2", "--cost", model}
			if err := RunSync(context.Background(), args, &out, &errOut); err != nil {
				t.Fatal(err, errOut.String())
			}
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			var r SyncResult
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
				t.Fatal(err)
			}
			if r.Items != 6000 || r.RateLimited != 0 || r.OperationLimited != 0 || r.HTTPRequests < 4 ||
				r.LimitSeconds <= 0 || r.Efficiency <= 0 || r.Model != model {
				t.Errorf("result %+v", r)
			}
		})
	}
	var out, errOut bytes.Buffer
	if err := RunSync(context.Background(), []string{"sync", "--cost", "off"}, &out, &errOut); err == nil {
		t.Error("an unknown cost model was accepted")
	}
	if err := RunSync(context.Background(), []string{"sync", "--operating-budget", "-1s"}, &out, &errOut); err == nil {
		t.Error("a negative operating budget was accepted")
	}
}
