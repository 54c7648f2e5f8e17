package server_test

import (
	"net/url"
	"testing"

	"github.com/trailhq/trail/app/trailtest"
)

// stack is Trail running against the emulator (app/trailtest), with the
// requests these tests make of it.
type stack struct{ *trailtest.Stack }

func newStack(t testing.TB, o trailtest.Options) *stack {
	t.Helper()
	return &stack{trailtest.New(t, o)}
}

// post sends a form body to one of Trail's handlers and returns the status.
func (s *stack) post(t testing.TB, path string, form url.Values) int {
	t.Helper()
	resp, _ := s.Do(t, "POST", path, form, nil)
	return resp.StatusCode
}
