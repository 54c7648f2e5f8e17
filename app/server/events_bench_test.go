package server_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/trailtest"
)

// BenchmarkEventsHandler posts signed CRM events to the events handler of
// a Trail with a real database and no workers, so that only the intake is
// measured: verification, the inbox row and the drain enqueue, committed
// before the answer. events/commit says how many deliveries share a
// transaction (group commit).
func BenchmarkEventsHandler(b *testing.B) {
	const portals = 10
	s := newStack(b, trailtest.Options{Emulator: b24test.Options{Portals: portals, Deals: 5, Seed: 17}, NoWorkers: true})
	all := s.Emu.Portals()
	for _, p := range all {
		if _, err := p.Install(); err != nil {
			b.Fatal(err)
		}
	}
	trailtest.Eventually(b, "installations stored", func() bool {
		return s.Count(b, "SELECT count(*) FROM installations WHERE status = 'active'") == portals
	})
	bodies := make([]string, portals)
	for i, p := range all {
		bodies[i] = crmEvent(p, p.MemberID(), p.ApplicationToken(), 1+i%5).Encode()
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	var next atomic.Int64
	commits := func() (n int64) {
		_ = s.DB.Pool.QueryRow(context.Background(), "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").Scan(&n)
		return n
	}
	c0 := commits()
	b.SetParallelism(4) // 8 senders on 2 cores, as `trail bench events` uses
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[next.Add(1)%portals]
			resp, err := client.Post(s.Base+"/bitrix/events", "application/x-www-form-urlencoded", strings.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	// Transactions include the handful the server runs itself meanwhile.
	b.ReportMetric(float64(b.N)/float64(commits()-c0), "events/commit")
	var rows int
	_ = s.DB.Pool.QueryRow(context.Background(), "SELECT count(*) FROM inbox").Scan(&rows)
	if rows < b.N {
		b.Errorf("%d inbox rows for %d accepted events", rows, b.N)
	}
}
