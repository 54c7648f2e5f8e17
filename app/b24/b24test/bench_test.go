package b24test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkMemoryPerDeal reports the heap a portal with a million deals
// holds after a deep page and 1,000 edits (the overlay).
func BenchmarkMemoryPerDeal(b *testing.B) {
	const deals = 1_000_000
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s, err := NewServer(Options{Deals: deals, Limits: Limits{Unlimited: true}})
		if err != nil {
			b.Fatal(err)
		}
		p := s.Portals()[0]
		for id := 1; id <= 1000; id++ {
			if err := p.UpdateRecord("deal", id*997, Automation, map[string]any{"TITLE": "x"}); err != nil {
				b.Fatal(err)
			}
		}
		resp, err := s.Client().Get(p.WebhookURL() + "crm.deal.list?start=999900")
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/deals, "bytes/deal")
		s.Close()
	}
}

// BenchmarkKeysetScan200k lists 200,000 deals with keyset pages chained
// in batches of 50 under the default cost and limits, as a sync would,
// and reports the wall time next to the least the rate limit allows.
func BenchmarkKeysetScan200k(b *testing.B) {
	const deals = 200_000
	s, err := NewServer(Options{Deals: deals, Cost: DefaultCost()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p := s.Portals()[0]
	c := s.Client()
	b.ResetTimer()
	for range b.N {
		start, last, requests, seen := time.Now(), 0, 0, 0
		for {
			// url.Values would sort the commands; their order matters.
			form := []string{"halt=1"}
			for i := range 50 {
				ref := fmt.Sprint(last)
				if i > 0 {
					ref = fmt.Sprintf("$result[p%d][49][ID]", i-1)
				}
				form = append(form, fmt.Sprintf("cmd[p%d]=", i)+url.QueryEscape("crm.deal.list?start=-1&order[ID]=ASC&select[]=ID&select[]=DATE_MODIFY&"+url.QueryEscape("filter[>ID]")+"="+ref))
			}
			resp, err := c.Post(p.WebhookURL()+"batch", "application/x-www-form-urlencoded", strings.NewReader(strings.Join(form, "&")))
			if err != nil {
				b.Fatal(err)
			}
			var page struct {
				Result struct {
					Result map[string][]struct {
						ID string `json:"ID"`
					} `json:"result"`
				} `json:"result"`
			}
			err = json.NewDecoder(resp.Body).Decode(&page)
			resp.Body.Close()
			requests++
			if resp.StatusCode == 503 {
				time.Sleep(500 * time.Millisecond)
				continue
			}
			if err != nil {
				b.Fatal(err)
			}
			// Pages after the end reference a missing row and restart
			// from the beginning, so stop at the first short page.
			done := false
			for i := range 50 {
				rows := page.Result.Result[fmt.Sprintf("p%d", i)]
				seen += len(rows)
				if len(rows) > 0 {
					last, _ = strconv.Atoi(rows[len(rows)-1].ID)
				}
				if len(rows) < 50 {
					done = true
					break
				}
			}
			if done {
				break
			}
		}
		if seen != deals {
			b.Fatalf("saw %d deals", seen)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/scan")
		b.ReportMetric(float64(requests), "requests")
		b.ReportMetric(s.opts.Limits.MinDuration(requests).Seconds(), "min-s/scan")
	}
}
