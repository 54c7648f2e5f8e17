package b24

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// PageSize is the fixed number of rows a list method returns per page.
const PageSize = 50

// ListOptions describe a full listing.
type ListOptions struct {
	// Method is the list method, such as "crm.deal.list" or "crm.item.list".
	Method string
	// Params are the method's other parameters: filter (merged with the
	// listing's own ID filter), select, entityTypeId… order and start are
	// set by the listing.
	Params Params
	// IDField names the ID in rows, filter and order: "ID" by default, "id"
	// for crm.item.list.
	IDField string
	// Items says rows come in result.items rather than result; default
	// true for crm.item.list.
	Items *bool
	// After resumes a keyset listing: only rows with an ID above it come.
	After int64
	// Until, when positive, ends a keyset listing at this ID (inclusive).
	// With After it lets a caller list ID ranges of its own choosing.
	Until int64
	// Parallel lists that many ID ranges at once (keyset only). The first
	// request also asks for the highest ID; what lies above the first
	// request's rows is then cut into Parallel ranges, each sized to a
	// whole number of requests, the last one open-ended. It pays when the
	// portal answers slower than its rate limit admits requests (the burst
	// at the start, Enterprise plans), at the price of order: rows come in
	// ascending ID order within each range, the ranges interleaved, so a
	// listing that stops half-way cannot be resumed with After. Memory
	// stays bounded: each range holds at most one request's rows.
	Parallel int
	// Offset pages with start=0, 50, 100… instead of keyset pagination,
	// for methods that cannot filter and order by ID. It is slower (the
	// portal counts all rows and skips the earlier ones on every page) and
	// can skip or repeat rows that are added or deleted meanwhile.
	Offset bool
	// PagesPerRequest is how many pages one HTTP request fetches, 1 to 50;
	// default 50, up to 2,500 rows per request.
	PagesPerRequest int
	// Stop, when closed, ends a keyset listing without sending another
	// request: the rows of the request out are still returned, then the
	// listing ends with ErrAbandoned. Unlike cancelling the context it
	// loses nothing the portal has already spent its time on.
	Stop <-chan struct{}
}

func (o ListOptions) withDefaults() ListOptions {
	isItem := strings.EqualFold(o.Method, "crm.item.list")
	if o.IDField == "" {
		o.IDField = "ID"
		if isItem {
			o.IDField = "id"
		}
	}
	if o.Items == nil {
		o.Items = &isItem
	}
	if o.PagesPerRequest <= 0 || o.PagesPerRequest > MaxBatch {
		o.PagesPerRequest = MaxBatch
	}
	return o
}

// List returns every row of a list method, in ascending ID order, as fast
// as the portal's limits allow, holding at most one request's rows (2,500)
// in memory. Stopping the iteration stops the listing; an error ends it.
//
// It pages by key: order by ID ascending, filter ID above the last one
// seen, and start=-1 so that the portal does not count the matching rows.
// One request chains PagesPerRequest such pages in a batch, each page
// taking its lower bound from the previous page's last row
// ($result[p0][49][ID]). When a page comes back short the data has ended,
// and the later pages of that batch, whose reference pointed at a row that
// does not exist, are ignored: depending on the portal such a reference
// resolves to nothing or stays literal, and either way the page's filter is
// not the intended one. Every page is also checked to start above the
// previous page's last ID, so a page whose filter went wrong is dropped
// rather than repeated; the listing then goes on from the last good row.
//
// Rows added during the listing appear if their ID is above the current
// position; deleted rows are simply not seen. No row is returned twice.
func (c *Client) List(ctx context.Context, o ListOptions) iter.Seq2[json.RawMessage, error] {
	o = o.withDefaults()
	return func(yield func(json.RawMessage, error) bool) {
		emit := func(rows []json.RawMessage) bool {
			for _, row := range rows {
				if !yield(row, nil) {
					return false
				}
			}
			return true
		}
		var err error
		switch {
		case o.Offset:
			err = c.listOffset(ctx, o, emit)
		case o.Parallel > 1:
			err = c.listParallel(ctx, o, emit)
		default:
			err = c.listKeyset(ctx, o, emit)
		}
		if err != nil && !errors.Is(err, errStop) {
			yield(nil, err)
		}
	}
}

// ListAs is List with each row decoded into T.
func ListAs[T any](ctx context.Context, c *Client, o ListOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for raw, err := range c.List(ctx, o) {
			var v T
			if err == nil {
				err = json.Unmarshal(raw, &v)
			}
			if !yield(v, err) || err != nil {
				return
			}
		}
	}
}

// errStop means the consumer stopped the iteration.
var errStop = errors.New("stop")

// pageName names the batch command of page k.
func pageName(k int) string { return "p" + strconv.Itoa(k) }

// keysetParams returns the method's parameters for a page whose lower bound
// is after (a number or a $result reference), up to o.Until.
func keysetParams(o ListOptions, after any) Params {
	p := make(Params, len(o.Params)+3)
	maps.Copy(p, o.Params)
	filter := Params{}
	switch f := o.Params["filter"].(type) {
	case Params:
		maps.Copy(filter, f)
	case map[string]any:
		maps.Copy(filter, f)
	}
	filter[">"+o.IDField] = after
	if o.Until > 0 {
		filter["<="+o.IDField] = o.Until
	}
	p["filter"] = filter
	p["order"] = Params{o.IDField: "ASC"}
	p["start"] = -1
	if sel, ok := o.Params["select"]; ok {
		p["select"] = withID(sel, o.IDField)
	}
	return p
}

// withID makes sure a select list names the ID field, which the listing
// needs to continue. No select (all fields) is left alone.
func withID(sel any, id string) any {
	switch s := sel.(type) {
	case []string:
		if slices.ContainsFunc(s, func(f string) bool { return f == id || f == "*" }) {
			return s
		}
		return append(slices.Clip(s), id)
	case []any:
		for _, f := range s {
			if f == id || f == "*" {
				return s
			}
		}
		return append(slices.Clip(s), id)
	}
	return sel
}

// reference returns the batch reference to the ID of the last row of a
// full page.
func (o ListOptions) reference(page string) string {
	if *o.Items {
		return "$result[" + page + "][items][" + strconv.Itoa(PageSize-1) + "][" + o.IDField + "]"
	}
	return "$result[" + page + "][" + strconv.Itoa(PageSize-1) + "][" + o.IDField + "]"
}

// listKeyset hands the rows of each page to emit, in ID order.
func (c *Client) listKeyset(ctx context.Context, o ListOptions, emit func([]json.RawMessage) bool) error {
	return c.keyset(ctx, o, emit, nil)
}

// probe rides along in a keyset listing's first request: cmd is added to
// it, and after that request's pages are emitted, done gets cmd's result
// and the position reached and returns the listing's new Until.
type probe struct {
	cmd  batchCmd
	done func(result json.RawMessage, rows int, after int64) int64
}

// keyset runs a keyset listing, optionally with a probe in its first
// request.
func (c *Client) keyset(ctx context.Context, o ListOptions, emit func([]json.RawMessage) bool, pr *probe) error {
	after := o.After
	refusals := 0
	for {
		pages := o.PagesPerRequest
		if pr != nil {
			pages = max(pages-1, 1)
		}
		cmds := make([]batchCmd, 0, pages+1)
		for k := range pages {
			var bound any = after
			if k > 0 {
				bound = o.reference(pageName(k - 1))
			}
			cmds = append(cmds, batchCmd{name: pageName(k), method: o.Method, query: encodeCommand(keysetParams(o, bound))})
		}
		if pr != nil {
			cmds = append(cmds, pr.cmd)
		}
		select {
		case <-o.Stop:
			return ErrAbandoned
		default:
		}
		opts := []CallOption{Abandon(o.Stop)}
		out := &batchPayload{}
		if len(cmds) == 1 {
			// A single page needs no batch.
			resp, err := c.Call(ctx, o.Method, keysetParams(o, after), opts...)
			if err != nil {
				return err
			}
			out.results = map[string]json.RawMessage{"p0": resp.Result}
		} else {
			var err error
			if out, err = c.sendBatch(ctx, cmds, false, opts); err != nil {
				return err
			}
		}
		emitted := 0
		counted := func(rows []json.RawMessage) bool {
			emitted += len(rows)
			return emit(rows)
		}
		next, done, err := c.keysetPages(o, after, pages, out, counted)
		if errors.Is(err, ErrOperationLimit) && refusals < c.opts.MaxAttempts {
			// The first page ran out of time: the pacer now holds the
			// next request until the budget frees up.
			refusals++
			continue
		}
		if err != nil || done {
			return err
		}
		refusals = 0
		if pr != nil {
			o.Until = pr.done(out.results[pr.cmd.name], emitted, next)
			pr = nil
		}
		after = next
	}
}

// keysetPages emits the pages of one keyset request and returns the last
// ID emitted and whether the listing is complete.
func (c *Client) keysetPages(o ListOptions, after int64, pages int, out *batchPayload, emit func([]json.RawMessage) bool) (int64, bool, error) {
	for k := range pages {
		name := pageName(k)
		if e, ok := out.errs[name]; ok {
			if err := c.commandError(o.Method, e); k == 0 {
				return 0, true, err
			}
			break // a later page failed: go on from the last good row
		}
		rows, err := decodeRows(out.results[name], *o.Items)
		if err != nil {
			return 0, true, transportError(o.Method, 200, err)
		}
		if len(rows) == 0 {
			return after, true, nil
		}
		first, err1 := rowID(rows[0], o.IDField)
		last, err2 := rowID(rows[len(rows)-1], o.IDField)
		if err := errors.Join(err1, err2); err != nil {
			return 0, true, transportError(o.Method, 200, err)
		}
		if first <= after || last < first {
			if k == 0 {
				return 0, true, fmt.Errorf("b24: %s ignored the keyset filter (asked for %s > %d, got %d first)", o.Method, o.IDField, after, first)
			}
			break // the reference did not resolve as intended
		}
		if !emit(rows) {
			return 0, true, errStop
		}
		after = last
		if len(rows) < PageSize || o.Until > 0 && last >= o.Until {
			return after, true, nil // a short page, or the range's last row
		}
	}
	return after, false, nil
}

func (c *Client) listOffset(ctx context.Context, o ListOptions, emit func([]json.RawMessage) bool) error {
	params := func(start int) Params {
		p := make(Params, len(o.Params)+1)
		maps.Copy(p, o.Params)
		p["start"] = start
		return p
	}
	resp, err := c.Call(ctx, o.Method, params(0))
	if err != nil {
		return err
	}
	rows, err := decodeRows(resp.Result, *o.Items)
	if err != nil {
		return transportError(o.Method, 200, err)
	}
	if !emit(rows) {
		return errStop
	}
	total, next := resp.Total, resp.Next
	for next > 0 && next < total {
		var b Batch
		for k := 0; k < o.PagesPerRequest && next+k*PageSize < total; k++ {
			b.Add(pageName(k), o.Method, params(next+k*PageSize))
		}
		res, err := c.Batch(ctx, &b)
		if err != nil {
			return err
		}
		for _, name := range res.Names() {
			raw, err := res.Result(name)
			if err != nil {
				return err
			}
			rows, err := decodeRows(raw, *o.Items)
			if err != nil {
				return transportError(o.Method, 200, err)
			}
			if !emit(rows) {
				return errStop
			}
			if len(rows) < PageSize {
				return nil
			}
			next += PageSize
		}
	}
	return nil
}

// decodeRows splits a list result into rows (sub-slices of raw).
func decodeRows(raw json.RawMessage, items bool) ([]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if isEmptyCollection(raw) {
		return nil, nil
	}
	if items {
		var list []byte
		err := eachMember(raw, func(k string, v []byte) error {
			if k == "items" {
				list = v
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("decoding list: %w", err)
		}
		raw = bytes.TrimSpace(list)
		if isEmptyCollection(raw) {
			return nil, nil
		}
	}
	rows := make([]json.RawMessage, 0, PageSize)
	err := eachElement(raw, func(_ int, v []byte) error {
		rows = append(rows, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decoding list: %w", err)
	}
	return rows, nil
}

// rowID reads a row's ID, a number or a numeric string.
func rowID(row json.RawMessage, field string) (int64, error) {
	var id flexInt
	var err error
	switch field {
	case "ID":
		var r struct {
			ID flexInt `json:"ID"`
		}
		err, id = json.Unmarshal(row, &r), r.ID
	case "id":
		var r struct {
			ID flexInt `json:"id"`
		}
		err, id = json.Unmarshal(row, &r), r.ID
	default:
		var m map[string]json.RawMessage
		if err = json.Unmarshal(row, &m); err == nil && m[field] != nil {
			err = json.Unmarshal(m[field], &id)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("reading row %s: %w", field, err)
	}
	if id <= 0 {
		return 0, fmt.Errorf("row has no %s", field)
	}
	return int64(id), nil
}
