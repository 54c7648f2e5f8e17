package jobs

import (
	"errors"
	"sync"
	"time"

	"github.com/trailhq/trail/app/b24"
)

// turn is one job run's share of a baseline. It ends when its time is up
// or when the portal's limits would make a request wait past the job's
// deadline: then no range sends another request, and the rows of the
// requests out are still stored, since the portal has charged for them.
type turn struct {
	stop chan struct{}
	once sync.Once
	mu   sync.Mutex
	wait time.Duration // how long the limits asked to wait, if they ended it
}

func newTurn() *turn { return &turn{stop: make(chan struct{})} }

// end ends the turn; wait is how long the next one should wait for the
// portal's limits (0: none).
func (t *turn) end(wait time.Duration) {
	t.mu.Lock()
	t.wait = max(t.wait, wait)
	t.mu.Unlock()
	t.once.Do(func() { close(t.stop) })
}

// ended reports whether the turn ended and how long the next one should
// wait.
func (t *turn) ended() (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-t.stop:
		return true, t.wait
	default:
		return false, 0
	}
}

// endsTurn reports whether a listing's err is the portal's limits asking
// to wait (and for how long) rather than a failure: such a wait ends the
// turn without losing what was listed.
func endsTurn(err error) (time.Duration, bool) {
	if errors.Is(err, b24.ErrAbandoned) {
		return 0, true
	}
	var w *b24.WouldWaitError
	if errors.As(err, &w) && !errors.Is(err, b24.ErrTransport) && !errors.Is(err, b24.ErrServer) {
		return w.Delay, true
	}
	return 0, false
}
