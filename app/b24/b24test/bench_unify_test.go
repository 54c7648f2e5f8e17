package b24test

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// BenchmarkMemoryMixedPortal reports what one portal with a million deals
// and twenty smart processes of 10,000 items each costs: heap per seeded
// record, heap per changed record (1,000 deals and 1,000 smart-process
// items edited), and the time to list a page of smart-process items (the
// first page with its total, and a keyset page). Its last line is JSON.
func BenchmarkMemoryMixedPortal(b *testing.B) {
	const (
		deals, spas, spaItems = 1_000_000, 20, 10_000
		seeded                = deals + spas*spaItems
		edits                 = 1000
		pages                 = 50
	)
	var perSeeded, perChanged, pageMS, keysetMS float64
	for range b.N {
		var base, built, edited runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&base)
		s, err := NewServer(Options{Deals: deals, SmartProcesses: spas, SmartProcessItems: spaItems, Limits: Limits{Unlimited: true}})
		if err != nil {
			b.Fatal(err)
		}
		p := s.Portals()[0]
		runtime.GC()
		runtime.ReadMemStats(&built)
		for i := 1; i <= edits; i++ {
			if err := p.UpdateRecord("deal", i*997, Automation, map[string]any{"TITLE": "x"}); err != nil {
				b.Fatal(err)
			}
			if err := p.UpdateRecord("dynamic_"+strconv.Itoa(128+i%spas), i*9, Automation, map[string]any{"TITLE": "x"}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&edited)
		perSeeded = float64(built.HeapAlloc-base.HeapAlloc) / seeded
		perChanged = float64(edited.HeapAlloc-built.HeapAlloc) / (2 * edits)

		get := func(query string) time.Duration {
			start := time.Now()
			resp, err := s.Client().Get(p.WebhookURL() + "crm.item.list?entityTypeId=135&" + query)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("crm.item.list: %d", resp.StatusCode)
			}
			return time.Since(start)
		}
		var first, keyset time.Duration
		for k := range pages {
			first += get("start=0")
			keyset += get(fmt.Sprintf("start=-1&order[id]=ASC&filter[>id]=%d", 100*k))
		}
		pageMS = first.Seconds() * 1000 / pages
		keysetMS = keyset.Seconds() * 1000 / pages
		s.Close()
	}
	b.ReportMetric(perSeeded, "bytes/seeded")
	b.ReportMetric(perChanged, "bytes/changed")
	b.ReportMetric(pageMS, "ms/spa-page")
	b.ReportMetric(keysetMS, "ms/spa-keyset-page")
	line, _ := json.Marshal(map[string]any{
		"deals": deals, "smart_processes": spas, "items_each": spaItems,
		"bytes_per_seeded_record": round2(perSeeded), "bytes_per_changed_record": round2(perChanged),
		"spa_page_ms": round2(pageMS), "spa_keyset_page_ms": round2(keysetMS),
	})
	fmt.Println(string(line))
}
