package refusals

import (
	"bytes"
	"strconv"
	"testing"
	"time"
)

func TestRemembersForTheTTL(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := New(time.Hour, 10)
	s.Add(now, "m1", "bad")
	if !s.Has(now.Add(time.Hour-time.Second), "m1", "bad") {
		t.Fatal("a refusal is not remembered")
	}
	if s.Has(now, "m2", "bad") || s.Has(now, "m1", "other") || s.Has(now, "m1b", "ad") {
		t.Fatal("a refusal is remembered for other parts")
	}
	for k := range s.seen {
		if bytes.Contains(k[:], []byte("bad")) {
			t.Fatal("the credential itself is kept")
		}
	}
	if s.Has(now.Add(time.Hour), "m1", "bad") {
		t.Fatal("a refusal is remembered past its TTL")
	}
}

func TestBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	s := New(time.Hour, 100)
	for i := range 1000 {
		s.Add(now, "m1", strconv.Itoa(i))
	}
	if n := s.Len(); n > 100 {
		t.Fatalf("%d entries kept, at most 100 allowed", n)
	}
	if !s.Has(now, "m1", "999") {
		t.Fatal("the latest refusal is forgotten")
	}
}
