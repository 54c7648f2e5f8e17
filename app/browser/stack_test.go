package browser

import (
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/trailtest"
)

// stack is Trail installed on emulated portals, the way `trail dev` runs
// it, with a database of the test's own.
type stack struct{ *trailtest.Stack }

func newStack(t *testing.T, emu b24test.Options) *stack {
	t.Helper()
	s := trailtest.New(t, trailtest.Options{Emulator: emu, Config: func(c *config.Config) {
		c.ShutdownTimeout = 2 * time.Second // short: Chrome keeps preconnected sockets open
	}})
	s.InstallAll(t)
	return &stack{s}
}

// portalURL is a page of the i-th portal (0-based) as a person opens it.
func (s *stack) portalURL(i int, path string) string {
	return "http://" + s.Emu.Portals()[i].Domain() + path
}
