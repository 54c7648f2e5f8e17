package b24

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Call calls a REST method and returns its answer. Rate and time limits are
// waited out before sending; rate-limited, time-limited and expired-token
// refusals are retried, and so are server and transport failures of
// idempotent calls, until MaxAttempts or the context's deadline.
func (c *Client) Call(ctx context.Context, method string, params Params, opts ...CallOption) (*Response, error) {
	cc := newCallConfig(opts)
	r := request{
		method:     method,
		body:       EncodeParams(params),
		commands:   1,
		calls:      map[string]int{strings.ToLower(method): 1},
		idempotent: IsIdempotent(method),
		noWait:     cc.noWait,
		abandon:    cc.abandon,
	}
	if cc.idempotent != nil {
		r.idempotent = *cc.idempotent
	}
	env, err := c.do(ctx, &r)
	if err != nil {
		return nil, err
	}
	resp := &Response{Result: env.Result, Total: int(env.Total), Next: int(env.Next)}
	var reports map[string]report
	if env.Time != nil {
		resp.Time = *env.Time
		r := report{t: *env.Time, cost: env.Time.Processing}
		if env.Total == 0 {
			r.n, r.paced = 1, r.cost
		}
		reports = map[string]report{strings.ToLower(method): r}
	}
	c.pacer.answered(c.portal, r.booked, reports)
	return resp, nil
}

// request is one REST request as the retry loop sees it.
type request struct {
	method     string         // REST method ("batch" for batches)
	body       string         // form body without auth
	commands   int            // batch commands, 1 otherwise
	calls      map[string]int // methods the request runs, for the time budget
	idempotent bool
	noWait     bool
	abandon    <-chan struct{} // see Abandon
	booked     booking         // the pacer's estimate while the request is out
}

// do sends r until it succeeds, fails for good, or runs out of attempts or
// time. It returns the decoded envelope of a successful answer, whose
// booking the caller settles with the answer's time blocks
// (Pacer.answered).
func (c *Client) do(ctx context.Context, r *request) (*envelope, error) {
	var last error
	renewed := 0
	for attempt := 1; ; attempt++ {
		paced, err := c.pace(ctx, r)
		if err != nil {
			return nil, orLast(err, last)
		}
		waited, err := c.reserve(ctx, r)
		if err != nil {
			c.pacer.settle(c.portal, r.booked)
			return nil, orLast(err, last)
		}
		endpoint, token, err := c.access(ctx)
		if err != nil {
			c.pacer.settle(c.portal, r.booked)
			return nil, err
		}
		body := r.body
		if token != "" {
			if body != "" {
				body += "&"
			}
			body += "auth=" + url.QueryEscape(token)
		}
		start := c.now()
		status, env, err := c.post(ctx, endpoint+r.method, body)
		ev := Event{Portal: c.portal, Method: r.method, Commands: r.commands, Attempt: attempt,
			Status: status, Start: start, Duration: c.now().Sub(start), Waited: waited, Paced: paced}
		if env != nil {
			ev.Time = env.Time
		}
		var e *Error
		if err == nil {
			code, failed := env.errorCode()
			if !failed && status < 300 {
				c.observer.Observe(ev)
				return env, nil
			}
			e = newError(r.method, status, code, env.ErrorDescription)
			ev.Code = code
		}
		c.pacer.settle(c.portal, r.booked)
		if err != nil && !errors.As(err, &e) {
			return nil, err
		}
		e.Retried = attempt - 1
		ev.Err = e
		c.observer.Observe(ev)
		last = e
		if ctx.Err() != nil {
			return nil, e
		}

		var delay time.Duration
		switch {
		case errors.Is(e, ErrExpiredToken), errors.Is(e, ErrInvalidToken):
			o, isOAuth := c.creds.(OAuth)
			if !isOAuth || renewed >= 2 {
				return nil, e
			}
			renewed++
			if _, err := c.renew(ctx, o, token); err != nil {
				return nil, err
			}
			attempt-- // a refused token is not a failed attempt
			continue
		case errors.Is(e, ErrRateLimited):
			_ = c.limiter.Full(ctx, c.portal)
			delay = backoff(attempt, c.opts.BackoffBase, c.opts.BackoffMax)
		case errors.Is(e, ErrOperationLimit):
			for m := range r.calls {
				delay = max(delay, c.pacer.refused(c.portal, m, backoff(attempt, c.opts.OperatingBackoff, max(time.Minute, c.opts.OperatingBackoff))))
			}
		case errors.Is(e, ErrNonPublicAddress):
			return nil, e
		case errors.Is(e, ErrServer), errors.Is(e, ErrTransport), errors.Is(e, ErrOverloaded):
			if !r.idempotent && !neverSent(e) {
				return nil, e
			}
			delay = backoff(attempt, c.opts.BackoffBase, c.opts.BackoffMax)
		default:
			return nil, e
		}
		if attempt >= c.opts.MaxAttempts {
			return nil, e
		}
		if r.noWait || delay > c.maxWait() {
			return nil, errors.Join(e, &WouldWaitError{Delay: delay, Reason: "retry"})
		}
		if !fitsDeadline(ctx, c.now(), delay) {
			return nil, e
		}
		if err := sleepOr(ctx, delay, r.abandon); err != nil {
			if errors.Is(err, ErrAbandoned) {
				return nil, err
			}
			return nil, e
		}
	}
}

// orLast prefers the failure that caused a retry over a would-wait or
// context error met while waiting to retry; an abandoned call says so.
func orLast(err, last error) error {
	if last != nil && !errors.Is(err, ErrAbandoned) {
		return last
	}
	return err
}

// pace waits for the time budget of the request's methods.
func (c *Client) pace(ctx context.Context, r *request) (time.Duration, error) {
	var total time.Duration
	for {
		d, b := c.pacer.admit(c.portal, r.calls)
		if d == 0 {
			r.booked = b
			return total, nil
		}
		if r.noWait || total+d > c.maxWait() || !fitsDeadline(ctx, c.now(), d) {
			return total, &WouldWaitError{Delay: d, Reason: "operating"}
		}
		// Answers of the method's requests out meanwhile may show their
		// estimates were too high: ask again soon rather than sleep to the
		// reset.
		d = min(d, paceRecheck)
		if err := sleepOr(ctx, d, r.abandon); err != nil {
			return total, err
		}
		total += d
	}
}

// paceRecheck is the longest a request held by the pacer sleeps before it
// asks again.
const paceRecheck = time.Second

// reserve books the request's slot in the portal's bucket and waits for it.
func (c *Client) reserve(ctx context.Context, r *request) (time.Duration, error) {
	maxWait := min(untilDeadline(ctx, c.now()), c.maxWait())
	if r.noWait {
		maxWait = 0
	}
	d, err := c.limiter.Reserve(ctx, c.portal, maxWait)
	if err != nil {
		return 0, err
	}
	return d, sleepOr(ctx, d, r.abandon)
}

// maxWait is the longest one call may wait for its slot, its time budget
// or its next attempt.
func (c *Client) maxWait() time.Duration {
	if c.opts.MaxWait > 0 {
		return c.opts.MaxWait
	}
	return 1<<63 - 1
}

// neverSent reports whether a transport failure happened before the
// request could reach the portal (the connection was refused or could not
// be made), which makes even a write safe to repeat.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// maxRedirects bounds how many address changes one request follows.
const maxRedirects = 3

// MaxAnswerBytes is the largest answer body the client reads. A full batch
// of 50 list pages (2,500 rows of wide records) stays well below it; a
// larger answer is refused with ErrAnswerTooLarge rather than held in memory.
const MaxAnswerBytes = 32 << 20

// post sends a form POST and decodes the answer's envelope. It follows
// redirects within the portal's own origin (scheme, host and port) by
// repeating the POST at the new address; a redirect anywhere else would
// carry the token there, so it ends the request with ErrRedirect.
func (c *Client) post(ctx context.Context, target, body string) (int, *envelope, error) {
	method := target[strings.LastIndexByte(target, '/')+1:]
	for hop := 0; ; hop++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(body))
		if err != nil {
			return 0, nil, transportError(method, 0, err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.opts.UserAgent)
		res, err := c.http.Do(req)
		if err != nil {
			return 0, nil, transportError(method, 0, err)
		}
		if loc := res.Header.Get("Location"); isRedirect(res.StatusCode) && loc != "" && hop < maxRedirects {
			io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
			res.Body.Close()
			next, err := res.Request.URL.Parse(loc)
			if err != nil {
				return res.StatusCode, nil, transportError(method, res.StatusCode, err)
			}
			if !sameOrigin(res.Request.URL, next) {
				return res.StatusCode, nil, &Error{Method: method, Status: res.StatusCode, kind: ErrRedirect,
					cause: fmt.Errorf("redirect to %s refused", next.Host)}
			}
			target = next.String()
			continue
		}
		env, err := readEnvelope(res)
		if errors.Is(err, errTooLarge) {
			return res.StatusCode, nil, &Error{Method: method, Status: res.StatusCode, kind: ErrAnswerTooLarge, cause: err}
		}
		if err != nil {
			if res.StatusCode >= 500 {
				e := newError(method, res.StatusCode, "", "")
				e.cause = err
				return res.StatusCode, nil, e
			}
			return res.StatusCode, nil, transportError(method, res.StatusCode, err)
		}
		return res.StatusCode, env, nil
	}
}

// sameOrigin reports whether b has a's scheme, host and port (a missing
// port being the scheme's default).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && originPort(a) == originPort(b)
}

func originPort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// readEnvelope reads and decodes an answer. The envelope's parts are
// sub-slices of a buffer owned by this answer alone: list rows handed to
// callers share it, so it is not pooled.
func readEnvelope(res *http.Response) (*envelope, error) {
	defer res.Body.Close()
	if res.ContentLength > MaxAnswerBytes {
		return nil, fmt.Errorf("%w: %d bytes announced", errTooLarge, res.ContentLength)
	}
	var buf bytes.Buffer
	if res.ContentLength > 0 {
		buf.Grow(int(res.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(res.Body, MaxAnswerBytes+1)); err != nil {
		return nil, fmt.Errorf("reading answer: %w", err)
	}
	if buf.Len() > MaxAnswerBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", errTooLarge, MaxAnswerBytes)
	}
	env, err := parseEnvelope(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("decoding answer (HTTP %d, %d bytes): %w", res.StatusCode, buf.Len(), err)
	}
	return env, nil
}
