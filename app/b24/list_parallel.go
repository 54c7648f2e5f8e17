package b24

import (
	"context"
	"encoding/json"
	"maps"
	"sync"
)

// probeName names the command that asks for the highest ID.
const probeName = "max"

// listParallel lists Parallel ID ranges at once and hands their pages to
// emit as they arrive.
//
// The first range starts at once; its first request also asks for the
// highest ID (one page ordered by ID descending), so finding the ranges
// costs no request of its own. When that answer is in, whatever lies
// between the first range's position and the highest ID is cut into
// Parallel equal ranges: the first range keeps the lowest, the last one is
// open-ended so that rows added meanwhile are not missed. Each range's
// worker blocks until emit has taken its page, so at most one request's
// rows per range wait in memory.
func (c *Client) listParallel(ctx context.Context, o ListOptions, emit func([]json.RawMessage) bool) error {
	ctx, cancel := context.WithCancel(ctx)
	type page struct {
		rows []json.RawMessage
		err  error
	}
	pages := make(chan page)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	send := func(rows []json.RawMessage) bool {
		select {
		case pages <- page{rows: rows}:
			return true
		case <-ctx.Done():
			return false
		}
	}
	run := func(r ListOptions, pr *probe) {
		wg.Go(func() {
			err := c.keyset(ctx, r, send, pr)
			if err != nil && ctx.Err() == nil {
				select {
				case pages <- page{err: err}:
				case <-ctx.Done():
				}
			}
		})
	}

	pr := &probe{cmd: batchCmd{name: probeName, method: o.Method, query: encodeCommand(maxIDParams(o))}}
	pr.done = func(result json.RawMessage, listed int, after int64) int64 {
		rows, err := decodeRows(result, *o.Items)
		if err != nil || len(rows) == 0 {
			return o.Until
		}
		top, err := rowID(rows[0], o.IDField)
		if err != nil {
			return o.Until
		}
		if o.Until > 0 {
			top = min(top, o.Until)
		}
		bounds := SplitRanges(o.After, after, top, listed, o.PagesPerRequest*PageSize, o.Parallel)
		if bounds == nil {
			return o.Until // too little left to be worth splitting
		}
		for i, lo := range bounds {
			r := o
			r.After, r.Until = lo, o.Until
			if i+1 < len(bounds) {
				r.Until = bounds[i+1]
			}
			run(r, nil)
		}
		return bounds[0]
	}
	first := o
	run(first, pr)
	go func() {
		// The probe's callback starts the other ranges from inside the
		// first range's goroutine, so the group cannot reach zero before
		// they are all added.
		wg.Wait()
		close(pages)
	}()
	for p := range pages {
		if p.err != nil {
			return p.err
		}
		if !emit(p.rows) {
			return errStop
		}
	}
	return nil
}

// maxIDParams asks for the row with the highest ID matching the filter.
func maxIDParams(o ListOptions) Params {
	p := make(Params, len(o.Params)+3)
	maps.Copy(p, o.Params)
	p["order"] = Params{o.IDField: "DESC"}
	p["select"] = []string{o.IDField}
	p["start"] = -1
	if o.After > 0 {
		f := Params{}
		switch uf := o.Params["filter"].(type) {
		case Params:
			maps.Copy(f, uf)
		case map[string]any:
			maps.Copy(f, uf)
		}
		f[">"+o.IDField] = o.After
		p["filter"] = f
	}
	return p
}

// SplitRanges cuts the IDs above after, up to top, into n ranges for
// listings run at once, and returns the upper bounds of the first n-1 (the
// last range is open-ended), or nil when there is too little left for each
// range to take a request. A listing of perRequest rows a request that
// began at start has listed listed rows up to after.
//
// A range's last request is partly empty unless the range holds exactly a
// whole number of requests' worth of rows, and a range holding a few rows
// more than that costs a whole extra request. So the bounded ranges are cut
// to hold a whole number of requests under the density the first request
// saw (listed rows over the IDs they spanned from start), a little less to
// stay on the safe side, and the open last range takes the remainder. With
// dense IDs every request but the very last is full.
func SplitRanges(start, after, top int64, listed, perRequest, n int) []int64 {
	if top <= after || n < 2 {
		return nil
	}
	density := 1.0
	if span := after - start; span > 0 && listed > 0 {
		density = float64(listed) / float64(span)
	}
	rest := float64(top-after) * density
	requests := int(rest/float64(perRequest)) + 1
	per := requests / n
	if per < 1 {
		return nil
	}
	// Spread the requests that do not divide evenly over the first
	// ranges, which start earliest, so that all ranges end together.
	extra := requests - per*n
	width := float64(perRequest) / density * 0.999
	bounds := make([]int64, n-1)
	var acc int
	for i := range bounds {
		acc += per
		if i < extra {
			acc++
		}
		bounds[i] = after + int64(float64(acc)*width)
	}
	return bounds
}

// TopID returns the highest ID the listing o would reach (its filter and
// After apply), or 0 when it has no rows. It costs one unpaged call.
func (c *Client) TopID(ctx context.Context, o ListOptions) (int64, error) {
	o = o.withDefaults()
	resp, err := c.Call(ctx, o.Method, maxIDParams(o))
	if err != nil {
		return 0, err
	}
	rows, err := decodeRows(resp.Result, *o.Items)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	return rowID(rows[0], o.IDField)
}
