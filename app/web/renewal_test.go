package web

import (
	"testing"
	"time"

	"github.com/trailhq/trail/app/secret"
)

func TestRenewalTicket(t *testing.T) {
	entry, err := secret.NewKeyEntry("k1")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secret.ParseKeyRing(entry)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	ticket := sealRenewal(keys, "m1", 7, now.Add(time.Hour))
	if user, ok := openRenewalTicket(keys, ticket, "m1", now); !ok || user != 7 {
		t.Fatalf("genuine ticket = %d, %v", user, ok)
	}
	for name, c := range map[string]struct {
		ticket, member string
		now            time.Time
	}{
		"another portal": {ticket, "m2", now},
		"expired":        {ticket, "m1", now.Add(2 * time.Hour)},
		"altered":        {ticket[:len(ticket)-2] + "AA", "m1", now},
		"made up":        {"AAAA", "m1", now},
		"empty":          {"", "m1", now},
	} {
		if _, ok := openRenewalTicket(keys, c.ticket, c.member, c.now); ok {
			t.Errorf("%s: ticket accepted", name)
		}
	}
	// A sign-in state is not a ticket.
	if _, ok := openRenewalTicket(keys, sealState(keys, "m1|7", now.Add(time.Hour)), "m1", now); ok {
		t.Error("a sign-in state was accepted as a renewal ticket")
	}
}
