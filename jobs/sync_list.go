package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/db"
)

// A baseline lists a type in ID order, one request of 50 pages after the
// other, while the portal answers such a request faster than its rate
// limit admits the next one. When a request costs the portal seconds of
// execution time (every field of a large record type), one request at a
// time leaves the method's execution-time budget unspent while the
// listing waits on the answers: the rest of the IDs is then cut into
// syncRanges ranges listed at once in requests of rangePages pages, which
// together hold less than two requests of 50 pages in memory. The first
// request is of rangePages pages too, so that a slow portal is found out
// before a whole 50-page request waits on it.
const (
	slowRequest = 2 * time.Second
	syncRanges  = 8
	rangePages  = 10
)

// idRange is the IDs above after up to until (0: no end).
type idRange struct{ after, until int64 }

// idRanges reads st's ranges: the stored ones, or one range from LastID.
func idRanges(st *db.SyncState) []idRange {
	if len(st.Ranges) < 2 {
		return []idRange{{after: st.LastID}}
	}
	out := make([]idRange, 0, len(st.Ranges)/2)
	for i := 0; i+1 < len(st.Ranges); i += 2 {
		out = append(out, idRange{after: st.Ranges[i], until: st.Ranges[i+1]})
	}
	return out
}

// setRanges records rs as st's progress.
func setRanges(st *db.SyncState, rs []idRange) {
	switch {
	case len(rs) == 0:
		st.Ranges = nil
	case len(rs) == 1 && rs[0].until == 0:
		st.LastID, st.Ranges = rs[0].after, nil
	default:
		st.LastID, st.Ranges = rs[0].after, make([]int64, 0, 2*len(rs))
		for _, r := range rs {
			st.Ranges = append(st.Ranges, r.after, r.until)
		}
	}
}

// rangesFrom are the ranges above after that bounds end (see
// b24.SplitRanges); the last is open-ended, so that records added meanwhile
// are not missed.
func rangesFrom(after int64, bounds []int64) []idRange {
	out := make([]idRange, 0, len(bounds)+1)
	for _, b := range bounds {
		out = append(out, idRange{after: after, until: b})
		after = b
	}
	return append(out, idRange{after: after})
}

// listed is what the listing hands on: a record of range rng, the end of
// range rng (snap nil), or the ranges the listing goes on in (split).
type listed struct {
	rng   int
	snap  *db.Snapshot
	state history.Snapshot
	split []idRange
}

// chunk is snapshots to store and the listing's progress once they are.
type chunk struct {
	snaps  []*db.Snapshot
	ranges []idRange
}

// lister lists one type's records for a baseline.
type lister struct {
	c      *b24.Client
	st     *db.SyncState // Entity and PortalID only: the store owns the rest
	schema *history.Schema
	ranges []idRange // what is left to list
	// remaining is how many records were left when the turn began.
	remaining int64
	// slowRequest is the execution time of a 50-page request from which
	// the listing goes on in ranges.
	slowRequest time.Duration
	turn        *turn
}

func (l *lister) options(r idRange, pages int) b24.ListOptions {
	o := listOf(l.st.Entity, l.schema, listSelect(l.st.Entity, l.schema), nil)
	o.After, o.Until, o.PagesPerRequest, o.Stop = r.after, r.until, pages, l.turn.stop
	return o
}

// run sends every record still to list to out.
func (l *lister) run(ctx context.Context, out chan<- listed) error {
	ranges := l.ranges
	if len(ranges) == 1 && ranges[0].until == 0 {
		split, err := l.inOrder(ctx, ranges[0], out)
		if err != nil || split == nil {
			return err
		}
		ranges = split
	}
	g, ctx := errgroup.WithContext(ctx)
	for i, r := range ranges {
		g.Go(func() error { return l.listRange(ctx, i, r, rangePages, out) })
	}
	return g.Wait()
}

// inOrder lists r in ID order. Its first request is of rangePages pages:
// after it, when the portal is slow to answer and enough records are left
// for each range to take a request, it returns the ranges to go on in
// instead.
func (l *lister) inOrder(ctx context.Context, r idRange, out chan<- listed) ([]idRange, error) {
	first := rangePages * b24.PageSize
	if l.remaining < int64(first+syncRanges*first) {
		// Too few to split: no request is spent on learning.
		return nil, l.listRange(ctx, 0, r, b24.MaxBatch, out)
	}
	start, n := r.after, 0
	for raw, err := range l.c.List(ctx, l.options(r, rangePages)) {
		if wait, ok := endsTurn(err); ok {
			l.turn.end(wait)
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		row, err := l.parse(raw)
		if err != nil {
			return nil, err
		}
		if err := send(ctx, out, row); err != nil {
			return nil, err
		}
		r.after = row.snap.EntityID
		if n++; n == first {
			break
		}
	}
	if n < first {
		return nil, send(ctx, out, listed{rng: 0})
	}
	if l.slow() && l.remaining-int64(n) >= syncRanges*int64(first) {
		if split, err := l.split(ctx, start, r.after, n, out); err != nil || split != nil {
			return split, err
		}
	}
	return nil, l.listRange(ctx, 0, r, b24.MaxBatch, out)
}

// slow reports whether a 50-page request costs the portal slowRequest or
// more, as the first request's answer told the client.
func (l *lister) slow() bool {
	return b24.MaxBatch*l.c.CallCost(l.options(idRange{}, 1).Method) >= l.slowRequest
}

// split cuts the IDs above last into ranges and tells out; the listing
// from start had n records up to last. It returns nil when too few
// are left, or the turn ended: range 0 then goes on from last in order.
func (l *lister) split(ctx context.Context, start, last int64, n int, out chan<- listed) ([]idRange, error) {
	top, err := l.c.TopID(ctx, l.options(idRange{after: last}, 1))
	if wait, ok := endsTurn(err); ok {
		l.turn.end(wait)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	bounds := b24.SplitRanges(start, last, top, n, rangePages*b24.PageSize, syncRanges)
	if bounds == nil {
		return nil, nil
	}
	ranges := rangesFrom(last, bounds)
	return ranges, send(ctx, out, listed{split: ranges})
}

// listRange lists range i in requests of pages pages, then tells out it
// ended, unless the turn ended first.
func (l *lister) listRange(ctx context.Context, i int, r idRange, pages int, out chan<- listed) error {
	for raw, err := range l.c.List(ctx, l.options(r, pages)) {
		if wait, ok := endsTurn(err); ok {
			l.turn.end(wait)
			return nil
		}
		if err != nil {
			return err
		}
		row, err := l.parse(raw)
		if err != nil {
			return err
		}
		row.rng = i
		if err := send(ctx, out, row); err != nil {
			return err
		}
	}
	return send(ctx, out, listed{rng: i})
}

// parse reads one listed record.
func (l *lister) parse(raw json.RawMessage) (listed, error) {
	state, err := parseListed(l.st.Entity, l.schema, raw)
	if err != nil {
		return listed{}, fmt.Errorf("sync %s: %w", l.st.Entity, err)
	}
	id, err := recordID(state)
	if err != nil {
		return listed{}, err
	}
	s := &db.Snapshot{PortalID: l.st.PortalID, Entity: l.st.Entity, EntityID: id, Format: int16(history.FormatFull)}
	if t, ok := history.When(state); ok {
		s.ModifiedAt = &t
	}
	return listed{snap: s, state: state}, nil
}

func send[T any](ctx context.Context, out chan<- T, v T) error {
	select {
	case out <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// completion is a chunk whose links are being read; done says how that
// ended.
type completion struct {
	chunk
	done chan error
}

// completers is how many chunks may have their links read at once: a
// chunk's links take one request, which a slow portal answers in seconds,
// while the ranges list the next chunks. With the chunk the store waits
// for, the one after it and the one being gathered, at most three chunks
// are held.
const completers = 2

// assemble gathers listed records into chunks of syncChunk and sends them
// to out in order, each with the progress the listing has made once it is
// stored, while their links are read and they are encoded. Records of a
// range come in ID order, so a range's progress is its latest record.
func assemble(ctx context.Context, c *b24.Client, t crm.Type, ranges []idRange, in <-chan listed, out chan<- *completion) error {
	ranges = slices.Clone(ranges) // the listing reads its own
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, completers)
	ended := make([]bool, len(ranges))
	// The open-ended last range stays in the progress when it ended: after
	// the last turn it is where records added since begin.
	progress := func() []idRange {
		var rs []idRange
		for i, r := range ranges {
			if !ended[i] || i == len(ranges)-1 {
				rs = append(rs, r)
			}
		}
		return rs
	}
	snaps := make([]*db.Snapshot, 0, syncChunk)
	states := make([]history.Snapshot, 0, syncChunk)
	flush := func() error {
		if len(snaps) == 0 {
			return nil
		}
		if err := send(ctx, slots, struct{}{}); err != nil {
			return err
		}
		inIDOrder(snaps, states)
		w := &completion{chunk: chunk{snaps: snaps, ranges: progress()}, done: make(chan error, 1)}
		if err := send(ctx, out, w); err != nil {
			<-slots
			return err
		}
		chunkStates := states
		wg.Go(func() {
			err := completeStates(ctx, c, t, w.snaps, chunkStates)
			<-slots
			w.done <- err
		})
		snaps, states = make([]*db.Snapshot, 0, syncChunk), make([]history.Snapshot, 0, syncChunk)
		return nil
	}
	for l := range in {
		switch {
		case l.split != nil:
			ranges, ended = slices.Clone(l.split), make([]bool, len(l.split))
		case l.snap == nil:
			ended[l.rng] = true
		default:
			ranges[l.rng].after = l.snap.EntityID
			snaps, states = append(snaps, l.snap), append(states, l.state)
			if len(snaps) == syncChunk {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// inIDOrder sorts a chunk's records by ID. Ranges listed at once
// interleave their records; the links are read 50 records a command by
// their IDs, which a portal finds fastest when they lie close together.
func inIDOrder(snaps []*db.Snapshot, states []history.Snapshot) {
	sort.Sort(byID{snaps, states})
}

type byID struct {
	snaps  []*db.Snapshot
	states []history.Snapshot
}

func (b byID) Len() int           { return len(b.snaps) }
func (b byID) Less(i, j int) bool { return b.snaps[i].EntityID < b.snaps[j].EntityID }
func (b byID) Swap(i, j int) {
	b.snaps[i], b.snaps[j] = b.snaps[j], b.snaps[i]
	b.states[i], b.states[j] = b.states[j], b.states[i]
}
