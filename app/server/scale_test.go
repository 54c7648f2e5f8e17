package server_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
)

// installAll installs the portals a few at a time and waits until every
// one is active and synced.
func (s *stack) installAll(t *testing.T, portals []*b24test.Portal) map[string]int64 {
	t.Helper()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, p := range portals {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := p.Install(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	ids := map[string]int64{}
	for _, p := range portals {
		ids[p.MemberID()] = s.Installed(t, p)
	}
	return ids
}

// TestManyPortalsInterleaved changes records of 100 portals in interleaved
// rounds, expiring every portal's tokens between rounds: each portal ends
// with exactly its own changes, one row each, after exactly one refresh.
func TestManyPortalsInterleaved(t *testing.T) {
	t.Parallel()
	const portals, rounds = 100, 3
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: portals, Deals: rounds, Seed: 21}})
	all := s.Emu.Portals()
	s.installAll(t, all)
	refreshes := make([]int64, len(all))

	for r := 1; r <= rounds; r++ {
		if r == 2 {
			// Tokens expire early while events flow: each portal's next
			// calls must agree on one refresh.
			for i, p := range all {
				refreshes[i] = p.Refreshes()
				p.ExpireTokens()
			}
		}
		var wg sync.WaitGroup
		for _, p := range all {
			wg.Add(1)
			go func() {
				defer wg.Done()
				title := fmt.Sprintf("%s round %d", p.MemberID(), r)
				if err := p.UpdateRecord("deal", r, p.AdminID(), map[string]any{"TITLE": title}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	trailtest.Eventually(t, "every change recorded", func() bool {
		return s.Count(t, "SELECT count(*) FROM history WHERE field = 'TITLE'") >= portals*rounds
	})
	trailtest.Eventually(t, "every inbox empty", func() bool { return s.Count(t, "SELECT count(*) FROM inbox") == 0 })
	if n := s.Count(t, "SELECT count(*) FROM history WHERE field = 'TITLE'"); n != portals*rounds {
		t.Errorf("%d TITLE rows, want %d", n, portals*rounds)
	}
	if n := s.Count(t, `SELECT count(*) FROM history h JOIN installations i ON i.id = h.portal_id
		WHERE h.field = 'TITLE' AND h.new_value <> 'T' || i.member_id || ' round ' || h.entity_id`); n != 0 {
		t.Errorf("%d history rows hold another portal's or another record's change", n)
	}
	if n := s.Count(t, "SELECT count(*) FROM (SELECT 1 FROM history WHERE field = 'TITLE' GROUP BY portal_id, entity_id HAVING count(*) <> 1) x"); n != 0 {
		t.Errorf("%d records with other than one TITLE row", n)
	}
	for i, p := range all {
		if got := p.Refreshes() - refreshes[i]; got != 1 {
			t.Errorf("portal %d: %d refreshes after its tokens expired, want 1", i, got)
		}
	}
}

// TestBadPortalsDoNotDelayOthers puts as many failing portals as the
// events queue has workers next to healthy ones, all with events waiting,
// and measures how long the healthy portals' changes take to reach
// history.
func TestBadPortalsDoNotDelayOthers(t *testing.T) {
	t.Parallel()
	faults := map[string]b24test.Faults{
		"hang":          {HangRate: 1},
		"503 storm":     {UnavailableRate: 1},
		"query limit":   {QueryLimitStorm: true},
		"portal gone":   {PortalDeleted: true},
		"slow":          {Delay: 5 * time.Second},
		"server errors": {ErrorRate: 1},
	}
	const perFault, healthy, rounds = 3, 4, 4
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: len(faults)*perFault + healthy, Deals: rounds + 1, Seed: 5}})
	all := s.Emu.Portals()
	ids := s.installAll(t, all)
	good, bad := all[:healthy], all[healthy:]
	i := 0
	for _, f := range faults {
		for range perFault {
			bad[i].SetFaults(f)
			i++
		}
	}
	// The bad portals' changes take the workers first.
	for _, p := range bad {
		if err := p.UpdateRecord("deal", 1, p.AdminID(), map[string]any{"TITLE": "bad portal change"}); err != nil {
			t.Fatal(err)
		}
	}
	trailtest.Eventually(t, "the bad portals' events accepted", func() bool {
		return s.Count(t, "SELECT count(DISTINCT portal_id) FROM inbox") == len(bad)
	})
	var lags []time.Duration
	for r := 1; r <= rounds; r++ {
		start := time.Now()
		for _, p := range good {
			if err := p.UpdateRecord("deal", r+1, p.AdminID(), map[string]any{"TITLE": fmt.Sprintf("healthy %d", r)}); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range good {
			id := ids[p.MemberID()]
			deadline := time.Now().Add(60 * time.Second)
			for trailtest.ByField(s.History(t, id, crm.Deal, int64(r+1)), "TITLE") == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("round %d: a healthy portal's change not recorded in 60 s", r)
				}
				time.Sleep(20 * time.Millisecond)
			}
			lags = append(lags, time.Since(start))
		}
	}
	slices.Sort(lags)
	t.Logf("healthy portals' lag with %d bad portals: median %s, max %s", len(bad), lags[len(lags)/2], lags[len(lags)-1])
	if worst := lags[len(lags)-1]; worst > 2*time.Second {
		t.Errorf("a healthy portal waited %s for its drain", worst)
	}
}
