package b24

import (
	"errors"
	"io"
	"strings"
	"testing"
)

// A body that grows past the limit fails rather than ending as if whole;
// one of exactly the limit reads through.
func TestCappedBody(t *testing.T) {
	over := &capped{body: io.NopCloser(strings.NewReader("0123456789")), left: 9}
	if _, err := io.ReadAll(over); !errors.Is(err, ErrFileTooLarge) {
		t.Errorf("a 10-byte body under a 9-byte cap: %v, want ErrFileTooLarge", err)
	}
	exact := &capped{body: io.NopCloser(strings.NewReader("0123456789")), left: 10}
	if b, err := io.ReadAll(exact); err != nil || string(b) != "0123456789" {
		t.Errorf("a 10-byte body under a 10-byte cap: %q %v", b, err)
	}
}
