package b24

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// MaxBatch is the most commands one batch request may carry.
const MaxBatch = 50

// ErrSkipped is the result of a batch command that did not run because an
// earlier one failed in a halting batch.
var ErrSkipped = errors.New("b24: batch command skipped after an earlier failure")

// Batch collects named commands to run in as few requests as possible.
//
// A batch with more than MaxBatch commands is sent as several requests of
// up to MaxBatch commands each, in the order the commands were added. A
// command may refer to the result of an earlier one with $result[name]…
// (also $result_error, $result_total, $result_next, $result_time), but only
// within one request: the portal resolves references per request. A
// reference to a command that would travel in an earlier request makes
// Client.Batch fail before sending anything; keep referring commands within
// the same block of 50 (commands 1–50, 51–100, …).
type Batch struct {
	// Halt stops at the first failing command; the rest report ErrSkipped.
	Halt bool

	cmds  []batchCmd
	index map[string]int
	err   error
}

type batchCmd struct {
	name, method, query string
}

// Add appends a command. Names must be unique and non-empty; names made of
// digits only are allowed but read worse in $result references.
func (b *Batch) Add(name, method string, params Params) *Batch {
	if b.index == nil {
		b.index = map[string]int{}
	}
	switch {
	case b.err != nil:
	case name == "" || strings.ContainsAny(name, "[]&=?"):
		b.err = fmt.Errorf("b24: batch command name %q is empty or has []&=?", name)
	case b.index[name] > 0:
		b.err = fmt.Errorf("b24: batch command %q added twice", name)
	default:
		b.cmds = append(b.cmds, batchCmd{name: name, method: method, query: encodeCommand(params)})
		b.index[name] = len(b.cmds)
	}
	return b
}

// Len returns the number of commands.
func (b *Batch) Len() int { return len(b.cmds) }

// reference finds $result[name], $result_total[name]… in a command.
var reference = regexp.MustCompile(`\$result(?:_error|_total|_next|_time)?\[([^\]]+)\]`)

// check validates references against the split into requests.
func (b *Batch) check() error {
	if b.err != nil {
		return b.err
	}
	for i, c := range b.cmds {
		for _, m := range reference.FindAllStringSubmatch(c.query, -1) {
			j, ok := b.index[m[1]]
			switch {
			case !ok:
				return fmt.Errorf("b24: batch command %q refers to unknown command %q", c.name, m[1])
			case j-1 >= i:
				return fmt.Errorf("b24: batch command %q refers to %q, which runs after it", c.name, m[1])
			case (j-1)/MaxBatch != i/MaxBatch:
				return fmt.Errorf("b24: batch command %q refers to %q, which is sent in an earlier request (batches go %d commands at a time)", c.name, m[1], MaxBatch)
			}
		}
	}
	return nil
}

// BatchResult holds what each command of a batch returned, side by side
// with what failed.
type BatchResult struct {
	results map[string]json.RawMessage
	errs    map[string]error
	totals  map[string]int
	nexts   map[string]int
	times   map[string]Time
	order   []string
}

// Result returns a command's result, or its error: an *Error from the
// portal, ErrSkipped, or ErrNotFound for a name that was never added.
func (r *BatchResult) Result(name string) (json.RawMessage, error) {
	if err, ok := r.errs[name]; ok {
		return nil, err
	}
	if res, ok := r.results[name]; ok {
		return res, nil
	}
	return nil, fmt.Errorf("b24: no batch command %q: %w", name, ErrNotFound)
}

// Decode unmarshals a command's result into v.
func (r *BatchResult) Decode(name string, v any) error {
	raw, err := r.Result(name)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// Total and Next return a list command's total and next offset (0 when absent).
func (r *BatchResult) Total(name string) int { return r.totals[name] }
func (r *BatchResult) Next(name string) int  { return r.nexts[name] }

// Time returns a command's time block.
func (r *BatchResult) Time(name string) Time { return r.times[name] }

// Names returns the command names in the order they were added.
func (r *BatchResult) Names() []string { return r.order }

// Err joins the errors of all failed commands, nil if none failed.
func (r *BatchResult) Err() error {
	var errs []error
	for _, n := range r.order {
		if e := r.errs[n]; e != nil && e != ErrSkipped {
			errs = append(errs, fmt.Errorf("%s: %w", n, e))
		}
	}
	return errors.Join(errs...)
}

// Batch runs the commands of b. The returned error covers the requests
// themselves (limits, tokens, transport); failures of single commands are
// in the result. A batch is retried after a timeout only if all its
// commands are idempotent, unless the Idempotent option says otherwise.
func (c *Client) Batch(ctx context.Context, b *Batch, opts ...CallOption) (*BatchResult, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	res := &BatchResult{
		results: make(map[string]json.RawMessage, len(b.cmds)),
		errs:    map[string]error{},
		totals:  map[string]int{},
		nexts:   map[string]int{},
		times:   make(map[string]Time, len(b.cmds)),
		order:   make([]string, 0, len(b.cmds)),
	}
	for _, cmd := range b.cmds {
		res.order = append(res.order, cmd.name)
	}
	for lo := 0; lo < len(b.cmds); lo += MaxBatch {
		chunk := b.cmds[lo:min(lo+MaxBatch, len(b.cmds))]
		if err := c.batchOnce(ctx, chunk, b.Halt, res, opts); err != nil {
			return res, err
		}
		if b.Halt && len(res.errs) > 0 {
			for _, cmd := range b.cmds[lo+len(chunk):] {
				res.errs[cmd.name] = ErrSkipped
			}
			break
		}
	}
	return res, nil
}

// batchOnce sends up to MaxBatch commands in one request and files their
// results into res.
func (c *Client) batchOnce(ctx context.Context, cmds []batchCmd, halt bool, res *BatchResult, opts []CallOption) error {
	out, err := c.sendBatch(ctx, cmds, halt, opts)
	if err != nil {
		return err
	}
	for _, cmd := range cmds {
		n := cmd.name
		if e, ok := out.errs[n]; ok {
			res.errs[n] = c.commandError(cmd.method, e)
		} else if r, ok := out.results[n]; ok {
			res.results[n] = r
		} else if halt {
			res.errs[n] = ErrSkipped
		} else {
			res.results[n] = json.RawMessage("null")
		}
		if v, ok := out.totals[n]; ok {
			res.totals[n] = int(v)
		}
		if v, ok := out.nexts[n]; ok {
			res.nexts[n] = int(v)
		}
		if t, ok := out.times[n]; ok {
			res.times[n] = t
		}
	}
	return nil
}

// commandError turns a failed batch command into an *Error and tells the
// pacer when the command's method ran out of execution time: inside a batch
// that is a per-command error, not an HTTP 429.
func (c *Client) commandError(method string, e batchError) *Error {
	err := newError(method, 0, e.code(), e.ErrorDescription)
	if errors.Is(err, ErrOperationLimit) {
		c.pacer.refused(c.portal, strings.ToLower(method), c.opts.OperatingBackoff)
	}
	return err
}

// sendBatch sends one batch request and returns its decoded result, whose
// time blocks it has handed to the pacer.
func (c *Client) sendBatch(ctx context.Context, cmds []batchCmd, halt bool, opts []CallOption) (*batchPayload, error) {
	cc := newCallConfig(opts)
	var body strings.Builder
	body.WriteString("halt=")
	if halt {
		body.WriteString("1")
	} else {
		body.WriteString("0")
	}
	r := request{method: "batch", commands: len(cmds), calls: map[string]int{}, idempotent: true, noWait: cc.noWait, abandon: cc.abandon}
	for _, cmd := range cmds {
		body.WriteString("&cmd%5B")
		body.WriteString(url.QueryEscape(cmd.name))
		body.WriteString("%5D=")
		q := cmd.method
		if cmd.query != "" {
			q += "?" + cmd.query
		}
		body.WriteString(url.QueryEscape(q))
		r.calls[strings.ToLower(cmd.method)]++
		r.idempotent = r.idempotent && IsIdempotent(cmd.method)
	}
	if cc.idempotent != nil {
		r.idempotent = *cc.idempotent
	}
	r.body = body.String()
	env, err := c.do(ctx, &r)
	if err != nil {
		return nil, err
	}
	var out batchPayload
	if err := out.decode(env.Result); err != nil {
		c.pacer.settle(c.portal, r.booked)
		return nil, transportError("batch", 200, err)
	}
	c.pacer.answered(c.portal, r.booked, batchReports(cmds, out.times, out.totals))
	return &out, nil
}

// batchReports sums the commands' time blocks per method, keeping the
// block of each method's latest call.
func batchReports(cmds []batchCmd, times map[string]Time, totals map[string]flexInt) map[string]report {
	per := map[string]report{}
	calls := map[string]int{}
	for _, cmd := range cmds {
		t, ok := times[cmd.name]
		if !ok {
			continue
		}
		m := strings.ToLower(cmd.method)
		a := per[m]
		calls[m]++
		a.cost += t.Processing
		if totals[cmd.name] == 0 {
			a.n++
			a.paced += t.Processing
		}
		if calls[m] == 1 || t.Start > a.t.Start || (t.Start == a.t.Start && t.Operating >= a.t.Operating) {
			a.t = t
		}
		per[m] = a
	}
	return per
}

// batchPayload is the result of a batch request.
type batchPayload struct {
	results map[string]json.RawMessage
	errs    map[string]batchError
	totals  map[string]flexInt
	nexts   map[string]flexInt
	times   map[string]Time
}

type batchError struct {
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
}

func (e batchError) code() string {
	var s string
	if json.Unmarshal(e.Error, &s) != nil {
		return string(e.Error)
	}
	return s
}

func (p *batchPayload) decode(raw json.RawMessage) error {
	err := eachMember(raw, func(k string, v []byte) error {
		switch k {
		case "result":
			return decodeKeyed(v, &p.results)
		case "result_error":
			return decodeKeyed(v, &p.errs)
		case "result_total":
			return decodeKeyed(v, &p.totals)
		case "result_next":
			return decodeKeyed(v, &p.nexts)
		case "result_time":
			return decodeKeyed(v, &p.times)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("decoding batch result: %w", err)
	}
	return nil
}

// decodeKeyed decodes an object keyed by command name. PHP writes an empty
// map, or one keyed 0…n-1, as a JSON array; array elements get their index
// as name. Raw values are kept as sub-slices of raw.
func decodeKeyed[V any](raw []byte, m *map[string]V) error {
	*m = map[string]V{}
	put := func(k string, v []byte) error {
		var x V
		if r, ok := any(&x).(*json.RawMessage); ok {
			*r = v
		} else if err := json.Unmarshal(v, &x); err != nil {
			return fmt.Errorf("batch part %q: %w", k, err)
		}
		(*m)[k] = x
		return nil
	}
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || raw[0] == 'n':
		return nil
	case raw[0] == '[':
		return eachElement(raw, func(i int, v []byte) error { return put(strconv.Itoa(i), v) })
	}
	return eachMember(raw, put)
}
