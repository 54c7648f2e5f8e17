package lifecycle

import (
	"context"
	"sync"
	"time"

	"github.com/trailhq/trail/db"
)

// installTTL is how long the events handler trusts a loaded installation.
// A busy portal sends many events a second and each would otherwise read
// the same row. What can go stale is bounded: a token mismatch reloads at
// once (an update's new application_token works on its first event), and
// an uninstall seen late only lets a few more inbox rows in, which the
// drain skips and the purge deletes.
const installTTL = 2 * time.Second

// installCache holds recently verified installations by member_id. The
// zero value is ready; it never holds more than the portals seen within
// installTTL, as expired entries are dropped on the next store.
type installCache struct {
	mu    sync.Mutex
	m     map[string]cached
	sweep time.Time
}

type cached struct {
	in *db.Installation
	at time.Time
}

func (c *installCache) get(memberID string, now time.Time) *db.Installation {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[memberID]
	if !ok || now.Sub(e.at) > installTTL {
		return nil
	}
	return e.in
}

func (c *installCache) put(in *db.Installation, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cached{}
	}
	if now.Sub(c.sweep) > installTTL {
		for k, e := range c.m {
			if now.Sub(e.at) > installTTL {
				delete(c.m, k)
			}
		}
		c.sweep = now
	}
	c.m[in.MemberID] = cached{in: in, at: now}
}

func (c *installCache) drop(memberID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, memberID)
}

// verifyCached is verify for CRM events, through the cache. The cached
// installation is shared: callers must not change it.
func (s *Service) verifyCached(ctx context.Context, memberID, appToken string) (*db.Installation, error) {
	now := time.Now()
	if in := s.cache.get(memberID, now); in != nil && tokenMatches(in, appToken) {
		return in, nil
	}
	in, err := s.verify(ctx, memberID, appToken)
	if err != nil {
		s.cache.drop(memberID)
		return nil, err
	}
	s.cache.put(in, now)
	return in, nil
}
