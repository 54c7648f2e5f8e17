package web

import (
	"crypto/sha256"
	"sync"
	"time"
)

// refusedTokens remembers, for a while, the access tokens a portal refused,
// so that a token sent again is turned away without a REST call. It keeps
// a hash of portal and token, never the token, and holds at most max
// entries: when full it forgets the expired ones and, if that is not
// enough, any others (an outsider's flood must not grow it without bound).
type refusedTokens struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu   sync.Mutex
	seen map[[sha256.Size]byte]time.Time // hash → when it is forgotten
}

// Access tokens live an hour; a refused one is not accepted later.
const (
	refusedTTL = time.Hour
	refusedMax = 50_000
)

func newRefusedTokens() *refusedTokens {
	return &refusedTokens{ttl: refusedTTL, max: refusedMax, now: time.Now, seen: map[[sha256.Size]byte]time.Time{}}
}

func refusedKey(memberID, token string) [sha256.Size]byte {
	return sha256.Sum256([]byte(memberID + "\x00" + token))
}

// add remembers that the portal refused token.
func (r *refusedTokens) add(memberID, token string) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) >= r.max {
		for k, until := range r.seen {
			if !now.Before(until) {
				delete(r.seen, k)
			}
		}
		for k := range r.seen {
			if len(r.seen) < r.max {
				break
			}
			delete(r.seen, k)
		}
	}
	r.seen[refusedKey(memberID, token)] = now.Add(r.ttl)
}

// has reports whether the portal refused token recently.
func (r *refusedTokens) has(memberID, token string) bool {
	k := refusedKey(memberID, token)
	r.mu.Lock()
	defer r.mu.Unlock()
	until, ok := r.seen[k]
	if ok && !r.now().Before(until) {
		delete(r.seen, k)
		return false
	}
	return ok
}
