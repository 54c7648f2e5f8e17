package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
)

// sent is what the senders saw, indexed by event number.
type sent struct {
	at       []time.Time     // when the event was posted
	latency  []time.Duration // handler round trip
	accepted []bool
}

func newSent(n int) *sent {
	return &sent{at: make([]time.Time, n), latency: make([]time.Duration, n), accepted: make([]bool, n)}
}

// phase is a run of events [from, to) sent at rate per second (0: as fast
// as the senders go).
type phase struct {
	from, to   int
	rate       float64
	start, end time.Time
}

func title(i int) string { return "bench-" + strconv.Itoa(i) }

// fire sends the phase's events from o.concurrency senders into r, paced
// to the phase's rate when set. Each sender changes the record in the
// emulator, then posts the event as Bitrix24 would, signed with the
// portal's application token.
func fire(ctx context.Context, s *stack, o options, r *sent, ph *phase, logf func(string, ...any)) error {
	portals := s.emu.Portals()
	tokens := make([]string, len(portals))
	for i, p := range portals {
		tokens[i] = p.ApplicationToken()
	}
	client := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: o.concurrency, MaxIdleConnsPerHost: o.concurrency},
	}
	defer client.CloseIdleConnections()

	next := make(chan int)
	go func() {
		defer close(next)
		t0 := time.Now()
		for i := ph.from; i < ph.to; i++ {
			if ph.rate > 0 {
				if wait := time.Until(t0.Add(time.Duration(float64(i-ph.from) / ph.rate * float64(time.Second)))); wait > 0 {
					time.Sleep(wait)
				}
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()

	var done atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	ph.start = time.Now()
	stopProgress := progress(&done, ph.to-ph.from, logf)
	for range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				pi, id := o.split.target(i)
				p := portals[pi]
				if err := p.UpdateRecord("deal", id, p.AdminID(), map[string]any{"TITLE": title(i)}); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("change deal %d of %s: %w", id, p.MemberID(), err) })
					continue
				}
				body := eventBody(p, tokens[pi], id)
				t := time.Now()
				ok, err := post(ctx, client, s.events, body)
				r.latency[i] = time.Since(t)
				r.at[i], r.accepted[i] = t, ok
				if err != nil && ctx.Err() == nil {
					once.Do(func() { firstErr = err })
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	ph.end = time.Now()
	stopProgress()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// eventBody is ONCRMDEALUPDATE as an automation rule's change arrives:
// no user tokens, the application token as the only proof of origin.
func eventBody(p *b24test.Portal, appToken string, id int) string {
	v := url.Values{}
	v.Set("event", "ONCRMDEALUPDATE")
	v.Set("data[FIELDS][ID]", strconv.Itoa(id))
	v.Set("ts", strconv.FormatInt(time.Now().Unix(), 10))
	v.Set("auth[domain]", p.Domain())
	v.Set("auth[client_endpoint]", p.ClientEndpoint())
	v.Set("auth[member_id]", p.MemberID())
	v.Set("auth[application_token]", appToken)
	return v.Encode()
}

// post delivers one event and reports whether Trail accepted it.
func post(ctx context.Context, c *http.Client, u, body string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		return false, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK, nil
}

// progress logs how many events are out every few seconds until stopped.
func progress(done *atomic.Int64, total int, logf func(string, ...any)) func() {
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				logf("sent %d/%d events", done.Load(), total)
			}
		}
	}()
	return func() { close(stop); <-finished }
}
