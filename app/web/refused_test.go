package web

import (
	"strconv"
	"testing"
	"time"
)

func TestRefusedTokens(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	r := newRefusedTokens()
	r.now = func() time.Time { return now }
	r.add("m1", "bad")
	if !r.has("m1", "bad") {
		t.Fatal("a refused token is not remembered")
	}
	if r.has("m2", "bad") || r.has("m1", "other") {
		t.Fatal("a token is remembered for another portal or another token")
	}
	for k := range r.seen {
		if string(k[:]) == "bad" {
			t.Fatal("the token itself is kept")
		}
	}
	now = now.Add(refusedTTL)
	if r.has("m1", "bad") {
		t.Fatal("a refused token is remembered past its time")
	}
}

func TestRefusedTokensBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	r := newRefusedTokens()
	r.now = func() time.Time { return now }
	r.max = 100
	for i := range 1000 {
		r.add("m1", strconv.Itoa(i))
	}
	if n := len(r.seen); n > r.max {
		t.Fatalf("%d entries kept, at most %d allowed", n, r.max)
	}
	if !r.has("m1", "999") {
		t.Fatal("the latest refusal is forgotten")
	}
}
