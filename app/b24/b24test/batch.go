package b24test

import (
	"strings"
)

// maxBatch is the most commands one batch may carry.
const maxBatch = 50

func init() {
	register(&method{name: "batch", noBatch: true, fn: methodBatch})
}

// methodBatch runs up to 50 commands in order for the same caller. Each
// command is "method?urlencoded-query"; values may reference earlier
// results as $result[key][path…]. Failures are collected per command
// (halt=0) or stop the batch (halt=1); the answer itself is always 200.
func methodBatch(c *call) (callResult, *apiError) {
	cmds := c.obj("cmd")
	if cmds.len() > maxBatch {
		return callResult{}, errBatchLength
	}
	halt := c.str("halt")
	stop := halt == "1" || halt == "true"
	results, errs, totals, nexts, times := newObj(), newObj(), newObj(), newObj(), newObj()
	for _, key := range cmds.keys {
		m, query, _ := strings.Cut(str(cmds.m[key]), "?")
		params := decodeForm(query)
		substitute(params, results)
		res, aerr := c.srv.invoke(c.caller, normalizeMethod(m), params, true)
		c.cost += res.processing
		if aerr != nil {
			errs.set(key, aerr.body())
			if stop {
				break
			}
			continue
		}
		results.set(key, res.value)
		if res.hasTotal {
			totals.set(key, res.total)
		}
		if res.hasNext {
			nexts.set(key, res.next)
		}
		times.set(key, c.srv.timeBlock(c.portal, res, true))
	}
	return ok(objOf(
		"result", results,
		"result_error", errs,
		"result_total", totals,
		"result_next", nexts,
		"result_time", times,
	))
}

// substitute replaces $result[key][path…] references in every string of
// the tree. A value that is exactly one reference takes the referenced
// value whole (it may be an array); a reference inside text is replaced by
// its string form.
func substitute(o *obj, results *obj) {
	for _, k := range o.keys {
		switch v := o.m[k].(type) {
		case *obj:
			substitute(v, results)
		case string:
			if !strings.Contains(v, "$result[") {
				continue
			}
			if ref, n := resolveRef(v, results); n == len(v) {
				o.m[k] = ref
				continue
			}
			o.m[k] = replaceRefs(v, results)
		}
	}
}

func replaceRefs(s string, results *obj) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "$result[")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		v, n := resolveRef(s[i:], results)
		if n == 0 {
			b.WriteString(s[i : i+len("$result[")])
			s = s[i+len("$result["):]
			continue
		}
		b.WriteString(str(v))
		s = s[i+n:]
	}
}

// resolveRef reads one reference at the start of s and returns its value
// and length; n is 0 when s does not start with a well-formed reference.
func resolveRef(s string, results *obj) (any, int) {
	if !strings.HasPrefix(s, "$result") {
		return nil, 0
	}
	n := len("$result")
	var cur any = results
	segs := 0
	for n < len(s) && s[n] == '[' {
		j := strings.IndexByte(s[n:], ']')
		if j < 0 {
			break
		}
		seg := s[n+1 : n+j]
		n += j + 1
		segs++
		if o := asObj(cur); o != nil {
			cur, _ = o.get(seg)
		} else {
			cur = nil
		}
	}
	if segs == 0 {
		return nil, 0
	}
	return cur, n
}
