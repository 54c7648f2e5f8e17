package b24test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Delivery is the outcome of one event POST.
type Delivery struct {
	URL      string        `json:"url"`
	Event    string        `json:"event"`
	Status   int           `json:"status"` // 0 when no answer came
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration"`
	// Body is the form that was sent.
	Body url.Values `json:"body"`
	// RawBody is the exact encoded body.
	RawBody string `json:"raw_body"`
}

type delivery struct {
	portal *Portal
	url    string
	event  string
	body   string
}

// dispatcher sends events from a queue with a few workers, one attempt
// each: Bitrix24 does not retry.
type dispatcher struct {
	srv     *Server
	client  *http.Client
	mu      sync.Mutex
	closed  bool
	queue   chan delivery
	workers sync.WaitGroup
	pending sync.WaitGroup
}

func newDispatcher(s *Server, workers int, timeout time.Duration) *dispatcher {
	d := &dispatcher{srv: s, client: &http.Client{Timeout: timeout}, queue: make(chan delivery, 1024)}
	for range workers {
		d.workers.Add(1)
		go d.work()
	}
	return d
}

func (d *dispatcher) enqueue(x delivery) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.pending.Add(1)
	d.mu.Unlock()
	d.queue <- x
}

func (d *dispatcher) work() {
	defer d.workers.Done()
	for x := range d.queue {
		x.portal.deliveries.add(d.deliver(x))
		d.pending.Done()
	}
}

func (d *dispatcher) deliver(x delivery) Delivery {
	rec := Delivery{URL: x.url, Event: x.event, RawBody: x.body}
	rec.Body, _ = url.ParseQuery(x.body)
	start := time.Now()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, x.url, strings.NewReader(x.body))
	if err != nil {
		rec.Error = fmt.Sprintf("build request: %v", err)
		return rec
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Bitrix24 Webhook Engine")
	resp, err := d.client.Do(req)
	rec.Duration = time.Since(start)
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	rec.Status = resp.StatusCode
	if resp.StatusCode >= 300 {
		rec.Error = resp.Status
	}
	return rec
}

// close waits for every queued delivery, then stops the workers.
func (d *dispatcher) close() {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	d.pending.Wait()
	close(d.queue)
	d.workers.Wait()
}

// deliveryLog keeps a portal's delivery results and wakes waiters.
type deliveryLog struct {
	mu     sync.Mutex
	list   []Delivery
	notify chan struct{}
}

func (l *deliveryLog) add(d Delivery) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, d)
	if l.notify != nil {
		close(l.notify)
		l.notify = nil
	}
}

// Deliveries returns the results of every event delivery so far, in
// completion order.
func (p *Portal) Deliveries() []Delivery {
	p.deliveries.mu.Lock()
	defer p.deliveries.mu.Unlock()
	return append([]Delivery(nil), p.deliveries.list...)
}

// WaitDeliveries blocks until at least n deliveries have completed or ctx
// ends, and returns them.
func (p *Portal) WaitDeliveries(ctx context.Context, n int) ([]Delivery, error) {
	for {
		l := &p.deliveries
		l.mu.Lock()
		if len(l.list) >= n {
			out := append([]Delivery(nil), l.list...)
			l.mu.Unlock()
			return out, nil
		}
		if l.notify == nil {
			l.notify = make(chan struct{})
		}
		ch := l.notify
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return p.Deliveries(), fmt.Errorf("b24test: waiting for %d deliveries: %w", n, ctx.Err())
		}
	}
}
