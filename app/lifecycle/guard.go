package lifecycle

import (
	"sync"
	"time"

	"github.com/trailhq/trail/app/refusals"
)

// Limits on what installs and updates, whose handlers anybody can reach,
// may spend at the OAuth server with Trail's client secret. Every trade
// takes a token from the sender's address, the claimed portal and the
// whole process; a trade whose tokens turn out to be an administrator's
// gives them back, so genuine installs (thousands from Bitrix24's few
// addresses) are never held back and only refused attempts count.
const (
	addrBurst   = 20
	addrEvery   = 3 * time.Second
	memberBurst = 10
	memberEvery = 6 * time.Second
	allBurst    = 100
	allEvery    = 200 * time.Millisecond
	// guardKeys bounds the addresses and portals tracked at once; past it,
	// idle ones are forgotten and, if none is, new ones are refused.
	guardKeys = 10000
	// refusedFor is how long a refresh token the OAuth server refused is
	// refused again without asking it.
	refusedFor = 15 * time.Minute
)

// guard holds the buckets and the refused refresh tokens. The zero value is
// ready; it is per process, which bounds the spending of a deployment by its
// number of web machines.
type guard struct {
	mu      sync.Mutex
	addrs   map[string]*bucket
	members map[string]*bucket
	all     bucket
	refused *refusals.Set // refresh tokens not to trade again, made on first use
	once    sync.Once
}

// bucket is a token bucket: at is when it was last full or drawn from.
type bucket struct {
	tokens float64
	at     time.Time
}

// level is the bucket's tokens at now.
func (b *bucket) level(burst int, every time.Duration, now time.Time) float64 {
	if b.at.IsZero() {
		return float64(burst)
	}
	return min(float64(burst), b.tokens+float64(now.Sub(b.at))/float64(every))
}

// pass is a token drawn by take, for give to return.
type pass struct{ addr, member string }

// take draws a token from the address's, the portal's and the process's
// buckets, or none if any is empty.
func (g *guard) take(addr, member string, now time.Time) (pass, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.addrs == nil {
		g.addrs, g.members = map[string]*bucket{}, map[string]*bucket{}
	}
	a, okA := g.slot(g.addrs, addr, addrBurst, addrEvery, now)
	m, okM := g.slot(g.members, member, memberBurst, memberEvery, now)
	if !okA || !okM {
		return pass{}, false
	}
	la, lm, lall := a.level(addrBurst, addrEvery, now), m.level(memberBurst, memberEvery, now), g.all.level(allBurst, allEvery, now)
	if la < 1 || lm < 1 || lall < 1 {
		return pass{}, false
	}
	a.tokens, a.at = la-1, now
	m.tokens, m.at = lm-1, now
	g.all.tokens, g.all.at = lall-1, now
	return pass{addr: addr, member: member}, true
}

// give returns the token of a pass whose tokens were an administrator's.
func (g *guard) give(p pass) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, b := range []*bucket{g.addrs[p.addr], g.members[p.member], &g.all} {
		if b != nil {
			b.tokens++ // level caps it at the burst
		}
	}
}

// slot finds or makes the bucket of key, keeping the map bounded.
func (g *guard) slot(m map[string]*bucket, key string, burst int, every time.Duration, now time.Time) (*bucket, bool) {
	if b := m[key]; b != nil {
		return b, true
	}
	if len(m) >= guardKeys {
		for k, b := range m {
			if b.level(burst, every, now) >= float64(burst) {
				delete(m, k)
			}
		}
		if len(m) >= guardKeys {
			return nil, false
		}
	}
	b := &bucket{}
	m[key] = b
	return b, true
}

func (g *guard) refusals() *refusals.Set {
	g.once.Do(func() { g.refused = refusals.New(refusedFor, guardKeys) })
	return g.refused
}

// wasRefused says whether the OAuth server refused this refresh token lately.
func (g *guard) wasRefused(refreshToken string, now time.Time) bool {
	return g.refusals().Has(now, refreshToken)
}

// refuse remembers a refresh token that must not be traded again: refused
// by the OAuth server, or already traded (refresh tokens are single-use).
func (g *guard) refuse(refreshToken string, now time.Time) {
	g.refusals().Add(now, refreshToken)
}
