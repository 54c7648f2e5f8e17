package bench

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
)

// installAll installs every portal, a few at a time as admins would, and
// waits until each is active and its baseline sync is done: events before
// that would be diffed against a missing snapshot. With extras it also
// waits for every type's extras phase.
func installAll(ctx context.Context, s *stack, o options, extras bool, logf func(string, ...any)) error {
	work := make(chan *b24test.Portal)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				if _, err := p.Install(); err != nil {
					select {
					case errc <- fmt.Errorf("install %s: %w", p.MemberID(), err):
					default:
					}
				}
			}
		}()
	}
	for _, p := range s.emu.Portals() {
		work <- p
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errc:
		return err
	default:
	}

	// One sync_state row per tracked type: the four legacy types,
	// estimates and smart invoices (the emulated portals have no smart
	// process here).
	want := 6 * o.portals
	wait := cmp.Or(o.install, 10*time.Minute)
	deadline := time.Now().Add(wait)
	last := time.Now()
	for {
		var active, synced, extrasDone int
		err := s.db.Pool.QueryRow(ctx, `SELECT
			(SELECT count(*) FROM installations WHERE status = 'active'),
			(SELECT count(*) FROM sync_state WHERE state = 'done'),
			(SELECT count(*) FROM sync_state WHERE extras_state = 'done')`).Scan(&active, &synced, &extrasDone)
		if err != nil {
			return err
		}
		if active == o.portals && synced == want && (!extras || extrasDone == want) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("portals not installed and synced within %s", wait)
		}
		if time.Since(last) > 5*time.Second {
			logf("installing: %d/%d active, %d/%d baseline syncs and %d extras phases done", active, o.portals, synced, want, extrasDone)
			last = time.Now()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
