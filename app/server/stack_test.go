package server_test

import (
	"io"
	"net/http"
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
	resp, err := http.PostForm(s.Base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
