package b24test

import (
	"sort"
)

// entityStore holds one portal's records of one type. Generated records
// are computed from the seed on every read; a record that is added or
// changed is kept whole in the overlay, and a deleted generated record is
// remembered in deleted. Memory therefore grows with the changes, not with
// the size of the CRM.
type entityStore struct {
	et      *entityType
	g       genCtx
	over    map[int]map[string]any
	deleted map[int]struct{}
	nextID  int
	stages  *stageLog // stage history rows added by changes
}

func newCRM(p *Portal, o Options) map[int]*entityStore {
	counts := map[int]int{1: o.Leads, 2: o.Deals, 3: o.Contacts, 4: o.Companies}
	crm := map[int]*entityStore{}
	for id, et := range entityTypes {
		crm[id] = &entityStore{
			et:      et,
			g:       genCtx{seed: uint64(o.Seed)*0x100000001B3 + uint64(p.index), et: id, count: counts[id], zone: p.zone, counts: counts},
			over:    map[int]map[string]any{},
			deleted: map[int]struct{}{},
			nextID:  counts[id] + 1,
		}
	}
	p.seedKinds(o, crm, counts)
	return crm
}

func (s *entityStore) exists(id int) bool {
	if _, ok := s.over[id]; ok {
		return true
	}
	if id < 1 || id > s.g.count {
		return false
	}
	_, gone := s.deleted[id]
	return !gone
}

// value reads one field of an existing record.
func (s *entityStore) value(id int, f *field) any {
	if r, ok := s.over[id]; ok {
		return r[f.name]
	}
	return f.gen(&s.g, id)
}

// record returns a copy of every field of an existing record.
func (s *entityStore) record(id int) map[string]any {
	r := make(map[string]any, len(s.et.fields))
	for _, f := range s.et.fields {
		r[f.name] = s.value(id, f)
	}
	return r
}

func (s *entityStore) remove(id int) {
	delete(s.over, id)
	if id <= s.g.count {
		s.deleted[id] = struct{}{}
	}
}

// listQuery is a parsed list request.
type listQuery struct {
	conds []cond
	order []orderKey
	start int // -1: no count
}

type orderKey struct {
	f    *field
	desc bool
}

// listResult is one page and what it cost to produce.
type listResult struct {
	ids     []int
	total   int
	skipped int // rows walked past to reach start
	counted int // rows counted for total
}

// list runs a query. Ordered by ID (the natural order) it walks ids and
// stops early when no count is needed; any other order sorts all matches.
func (s *entityStore) list(q listQuery, limit int) listResult {
	lo, hi := idBounds(q.conds)
	hi = min(hi, s.nextID-1)
	natural := len(q.order) == 0 || (len(q.order) == 1 && q.order[0].f.name == "ID")
	desc := natural && len(q.order) == 1 && q.order[0].desc
	start := max(q.start, 0)
	var res listResult
	if natural {
		matched := 0
		for i := lo; i <= hi; i++ {
			id := i
			if desc {
				id = hi - (i - lo)
			}
			if !s.exists(id) || !s.matches(id, q.conds) {
				continue
			}
			if matched >= start && len(res.ids) < limit {
				res.ids = append(res.ids, id)
			}
			matched++
			if q.start < 0 && len(res.ids) == limit {
				break
			}
		}
		res.skipped = min(start, matched)
		if q.start >= 0 {
			res.total, res.counted = matched, matched
		}
		return res
	}
	var all []int
	for id := lo; id <= hi; id++ {
		if s.exists(id) && s.matches(id, q.conds) {
			all = append(all, id)
		}
	}
	sort.SliceStable(all, func(a, b int) bool { return s.less(all[a], all[b], q.order) })
	if start < len(all) {
		res.ids = all[start:min(start+limit, len(all))]
	}
	res.skipped = min(start, len(all))
	if q.start >= 0 {
		res.total = len(all)
	}
	res.counted = len(all) // sorting needs every match
	return res
}

func (s *entityStore) matches(id int, conds []cond) bool {
	for _, c := range conds {
		if !c.match(s.value(id, c.f)) {
			return false
		}
	}
	return true
}

func (s *entityStore) less(a, b int, order []orderKey) bool {
	for _, k := range order {
		c := compareValues(firstString(s.value(a, k.f)), firstString(s.value(b, k.f)), k.f, s.g.zone)
		if c == 0 {
			continue
		}
		if k.desc {
			return c > 0
		}
		return c < 0
	}
	return a < b
}

// idBounds narrows the id range from ID conditions.
func idBounds(conds []cond) (lo, hi int) {
	lo, hi = 1, int(^uint(0)>>1)
	for _, c := range conds {
		if c.f.name == "ID" && len(c.vals) > 1 && (c.op == "" || c.op == "=" || c.op == "@") {
			// One of several IDs: within the least and the greatest, so
			// that a page of 50 IDs walks 50 records, not the portal.
			l, h, ok := intRange(c.vals)
			if ok {
				lo, hi = max(lo, l), min(hi, h)
			}
			continue
		}
		if c.f.name != "ID" || len(c.vals) != 1 {
			continue
		}
		n, err := parseInt(c.vals[0])
		if err != nil {
			continue
		}
		switch c.op {
		case ">":
			lo = max(lo, n+1)
		case ">=":
			lo = max(lo, n)
		case "<":
			hi = min(hi, n-1)
		case "<=":
			hi = min(hi, n)
		case "=", "":
			lo, hi = max(lo, n), min(hi, n)
		}
	}
	return lo, hi
}

// intRange is the least and greatest of vals, false if one is no integer.
func intRange(vals []string) (lo, hi int, ok bool) {
	for i, v := range vals {
		n, err := parseInt(v)
		if err != nil {
			return 0, 0, false
		}
		if i == 0 || n < lo {
			lo = n
		}
		if i == 0 || n > hi {
			hi = n
		}
	}
	return lo, hi, true
}
