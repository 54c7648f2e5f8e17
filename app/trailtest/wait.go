package trailtest

import (
	"testing"
	"time"
)

// Eventually polls ok until it holds, and fails the test after 90 seconds:
// the machine may be slow and busy, so tests wait for conditions, never
// for fixed times.
func Eventually(tb testing.TB, what string, ok func() bool) {
	tb.Helper()
	start := time.Now()
	deadline := start.Add(90 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Logf("%s after %s", what, time.Since(start).Round(time.Millisecond))
}
