package b24

import "time"

// Observer sees every HTTP request a Client makes — REST calls, batches and
// token refreshes — once its answer (or failure) is in. It is called
// synchronously on the calling goroutine, so it should be quick (count,
// log, export a metric). Events carry no tokens or secrets.
type Observer interface {
	Observe(Event)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Event)

// Observe calls f(e).
func (f ObserverFunc) Observe(e Event) { f(e) }

// Event describes one HTTP request.
type Event struct {
	Portal   string // the credentials' portal key
	Method   string // REST method, "batch", or "oauth.token" for a refresh
	Commands int    // commands in a batch; 1 otherwise
	Attempt  int    // 1 for the first request of a call, 2 for its first retry…
	Status   int    // HTTP status; 0 when no answer arrived
	Code     string // the portal's error code; "" on success
	Err      error  // nil on success

	Start    time.Time     // when the request was sent
	Duration time.Duration // round trip, including reading the answer
	Waited   time.Duration // time spent waiting for the rate limiter before sending
	Paced    time.Duration // time spent waiting for the method's execution-time budget
	Time     *Time         // the portal's time block, when it sent one
}

type nopObserver struct{}

func (nopObserver) Observe(Event) {}
