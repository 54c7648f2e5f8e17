package db_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/db/dbtest"
)

// openPools opens n separate pools on one test database, as n processes
// would.
func openPools(t *testing.T, n int) []*db.DB {
	t.Helper()
	url := dbtest.NewURL(t)
	var ds []*db.DB
	for range n {
		d, err := db.Open(context.Background(), url, 8)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(d.Close)
		ds = append(ds, d)
	}
	return ds
}

// Reservations made at once from three pools, replayed through a leaky
// bucket like the portal's, never overflow it.
func TestBucketSharedAcrossPools(t *testing.T) {
	t.Parallel()
	pools := openPools(t, 3)
	// At this drain the limiter's Slack is ten requests, far more than
	// scheduling delays between a reservation and reading the clock here.
	// Nothing waits: only the schedule is checked.
	rate := b24.Rate{Burst: 20, Drain: 10}
	var mu sync.Mutex
	var sends []time.Time
	var wg sync.WaitGroup
	for i := range 150 {
		b := db.NewBucket(pools[i%3])
		b.Default = rate
		wg.Go(func() {
			d, err := b.Reserve(context.Background(), "portal-a", time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			at := time.Now().Add(d)
			mu.Lock()
			sends = append(sends, at)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(sends) != 150 {
		t.Fatalf("%d reservations", len(sends))
	}
	slices.SortFunc(sends, func(a, b time.Time) int { return a.Compare(b) })
	var level float64
	last := sends[0]
	for i, s := range sends {
		level = max(0, level-s.Sub(last).Seconds()*rate.Drain)
		last = s
		if level+1 > float64(rate.Burst) {
			t.Fatalf("request %d would find the bucket at %.2f of %d", i, level, rate.Burst)
		}
		level++
	}
	// 150 requests, 10 at once (the burst less a second of Slack), the rest
	// at 10/s: the last slot is ~14 s out.
	if span := sends[len(sends)-1].Sub(sends[0]); span < 13*time.Second || span > 15*time.Second {
		t.Errorf("schedule spans %v", span)
	}
}

func TestBucketMaxWaitBooksNothing(t *testing.T) {
	t.Parallel()
	pools := openPools(t, 1)
	ctx := context.Background()
	b := db.NewBucket(pools[0])
	if err := b.SetRate(ctx, "p", b24.Rate{Burst: 3, Drain: 1}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if d, err := b.Reserve(ctx, "p", 0); err != nil || d != 0 {
			t.Fatalf("within burst: %v %v", d, err)
		}
	}
	var first, second *b24.WouldWaitError
	_, err := b.Reserve(ctx, "p", 0)
	if !errors.As(err, &first) || first.Delay <= 0 || first.Delay > b24.Slack {
		t.Fatalf("full bucket: %v", err)
	}
	_, err = b.Reserve(ctx, "p", 0)
	if !errors.As(err, &second) || second.Delay > first.Delay {
		t.Fatalf("a refused reservation booked a slot: %v then %v", first, err)
	}
	// Willing to wait: booked, and the wait is what was announced.
	d, err := b.Reserve(ctx, "p", time.Hour)
	if err != nil || d > second.Delay || d <= 0 {
		t.Fatalf("booked wait %v (%v), announced %v", d, err, first.Delay)
	}
	// Another portal has its own bucket with the default rate.
	if d, err := b.Reserve(ctx, "q", 0); err != nil || d != 0 {
		t.Fatalf("other portal: %v %v", d, err)
	}
}

func TestBucketFull(t *testing.T) {
	t.Parallel()
	pools := openPools(t, 1)
	ctx := context.Background()
	b := db.NewBucket(pools[0])
	if err := b.Full(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	// Standard plan: a full bucket (50) drains to 47 in 1.5 s, leaving
	// room for one request under the slack.
	d, err := b.Reserve(ctx, "p", time.Hour)
	if err != nil || d < 1200*time.Millisecond || d > 1500*time.Millisecond {
		t.Fatalf("after Full: %v %v", d, err)
	}
}
