package lifecycle

import (
	"fmt"
	"testing"
	"time"
)

func TestGuardBoundsRefusedAttempts(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var g guard

	// One address, a new portal each time: the address's burst, then no more.
	taken := 0
	for i := range 100 {
		if _, ok := g.take("203.0.113.7", fmt.Sprint("member", i), now); ok {
			taken++
		}
	}
	if taken != addrBurst {
		t.Errorf("one address took %d, want %d", taken, addrBurst)
	}
	// Refilled at its rate.
	if _, ok := g.take("203.0.113.7", "member-x", now.Add(addrEvery)); !ok {
		t.Error("the address's bucket did not refill")
	}

	// One portal, a new address each time: the portal's burst.
	taken = 0
	for i := range 100 {
		if _, ok := g.take(fmt.Sprint("198.51.100.", i), "target", now); ok {
			taken++
		}
	}
	if taken != memberBurst {
		t.Errorf("one portal took %d, want %d", taken, memberBurst)
	}
}

func TestGuardGivesBackAdministratorsTokens(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var g guard
	// Thousands of genuine installs from the portal servers' one address
	// all pass: each gives its token back.
	for i := range 3 * allBurst {
		p, ok := g.take("192.0.2.1", fmt.Sprint("portal", i), now)
		if !ok {
			t.Fatalf("genuine install %d throttled", i)
		}
		g.give(p)
	}
}

func TestGuardWholeProcess(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var g guard
	taken := 0
	for i := range 10 * allBurst {
		if _, ok := g.take(fmt.Sprint("addr", i), fmt.Sprint("member", i), now); ok {
			taken++
		}
	}
	if taken != allBurst {
		t.Errorf("the process took %d, want %d", taken, allBurst)
	}
}

func TestGuardRemembersRefusedTokens(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var g guard
	g.refuse("spent", now)
	switch {
	case !g.wasRefused("spent", now.Add(refusedFor-time.Second)):
		t.Error("a refused token is asked about again")
	case g.wasRefused("other", now):
		t.Error("a token never refused counts as refused")
	case g.wasRefused("spent", now.Add(refusedFor)):
		t.Error("a refused token is remembered forever")
	}
	for i := range 2 * guardKeys {
		g.refuse(fmt.Sprint(i), now)
	}
	if n := g.refusals().Len(); n > guardKeys {
		t.Errorf("%d refused tokens kept, bound %d", n, guardKeys)
	}
}

func TestUpdateConfirmed(t *testing.T) {
	for _, c := range []struct {
		stored, reported int
		want             bool
	}{
		{1, 2, true},  // the next version
		{0, 1, true},  // a row from before versions were stored
		{2, 2, false}, // a replay, or a forgery by anybody with a grant
		{3, 2, false}, // older than what is installed
	} {
		if got := UpdateConfirmed(c.stored, c.reported); got != c.want {
			t.Errorf("UpdateConfirmed(%d, %d) = %v", c.stored, c.reported, got)
		}
	}
}
