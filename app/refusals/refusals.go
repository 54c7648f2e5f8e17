// Package refusals remembers, for a while, credentials that were refused,
// so that the same credential sent again is turned away without asking the
// portal or the OAuth server. It keeps a hash, never the credential, and a
// bounded number of entries: an outsider's flood must not grow it without
// bound. It imports only the standard library.
package refusals

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Set is a bounded set of refused credentials, each remembered for a TTL.
// Create it with New; it is safe for concurrent use.
type Set struct {
	ttl time.Duration
	max int

	mu   sync.Mutex
	seen map[[sha256.Size]byte]time.Time // hash → when it is forgotten
}

// New returns a set that remembers a refusal for ttl and at most max
// refusals at once.
func New(ttl time.Duration, max int) *Set {
	return &Set{ttl: ttl, max: max, seen: map[[sha256.Size]byte]time.Time{}}
}

// key hashes the parts naming a credential (e.g. portal and token); the
// separator keeps ("ab", "c") and ("a", "bc") apart.
func key(parts []string) [sha256.Size]byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// Add remembers, as of now, that the credential named by parts was refused.
// When the set is full it forgets the expired entries and, if that is not
// enough, any others.
func (s *Set) Add(now time.Time, parts ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) >= s.max {
		for k, until := range s.seen {
			if !now.Before(until) {
				delete(s.seen, k)
			}
		}
		for k := range s.seen {
			if len(s.seen) < s.max {
				break
			}
			delete(s.seen, k)
		}
	}
	s.seen[key(parts)] = now.Add(s.ttl)
}

// Has reports whether the credential named by parts was refused within the
// TTL before now.
func (s *Set) Has(now time.Time, parts ...string) bool {
	k := key(parts)
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.seen[k]
	if ok && !now.Before(until) {
		delete(s.seen, k)
		return false
	}
	return ok
}

// Len is how many refusals the set holds.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}
