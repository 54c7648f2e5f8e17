package web

import (
	"strconv"
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	th := newThrottle(3, time.Minute, 10, func() time.Time { return now })
	for range 3 {
		if th.begin("a") > 0 {
			t.Fatal("turned away before its failures ran out")
		}
	}
	if d := th.begin("a"); d != time.Minute {
		t.Fatalf("after 3 failures turned away for %v, want the rest of the minute", d)
	}
	if th.begin("b") > 0 {
		t.Fatal("another address is turned away too")
	}
	now = now.Add(time.Minute)
	if th.begin("a") > 0 {
		t.Fatal("still turned away once the window is over")
	}
}

// Successful requests are taken back: they never use up an address's
// failures.
func TestThrottleCountsOnlyFailures(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	th := newThrottle(3, time.Minute, 10, func() time.Time { return now })
	for range 100 {
		if th.begin("office") > 0 {
			t.Fatal("successful requests used up the failures")
		}
		th.undo("office")
	}
}

func TestThrottleBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	th := newThrottle(3, time.Minute, 10, func() time.Time { return now })
	for i := range 1000 {
		th.begin(strconv.Itoa(i))
	}
	if n := len(th.seen); n > 10 {
		t.Fatalf("%d addresses kept, at most 10 allowed", n)
	}
}

func TestCleanText(t *testing.T) {
	for s, ok := range map[string]bool{"abc": true, "Привет": true, "": true, "x\x00y": false, "\xff": false} {
		if cleanText([]byte(s)) != ok {
			t.Errorf("cleanText(%q) = %v", s, !ok)
		}
	}
}

func TestPortalDomain(t *testing.T) {
	for in, want := range map[string]string{
		"Acme.Bitrix24.com":       "acme.bitrix24.com",
		" acme.bitrix24.ru ":      "acme.bitrix24.ru",
		"portal-1.localhost:8024": "portal-1.localhost:8024",
		"\x00":                    "",
		"":                        "",
		"localhost":               "",
		"acme.bitrix24.com/path":  "",
		"acme..com":               "",
		"-acme.com":               "",
		"acme.com:0":              "",
		"acme.com:99999":          "",
		"acme.com:08":             "",
		"user@acme.com":           "",
	} {
		got, ok := portalDomain(in)
		if got != want || ok != (want != "") {
			t.Errorf("portalDomain(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
