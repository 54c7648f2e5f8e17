package b24test

import (
	"strings"
	"unicode"
)

// maxBatch is the most commands one batch may carry.
const maxBatch = 50

func init() {
	register(&method{name: "batch", noBatch: true, fn: methodBatch})
}

// methodBatch runs up to 50 commands in order for the same caller. Each
// command is "method?urlencoded-query"; values may reference earlier
// outcomes (refs). Failures are collected per command (halt=0) or stop the
// batch (halt=1); the answer itself is always 200. Without a cmd map
// nothing runs and non-string commands are skipped, as the rest module
// does. Commands past the 50th each fail with ERROR_BATCH_LENGTH_EXCEEDED
// (https://apidocs.bitrix24.com/settings/how-to-call-rest-api/batch.html).
// Once the batch's simulated time passes the request's time limit no
// further command runs: the whole request is cut off (serveREST), and
// only the commands before have taken effect.
func methodBatch(c *call) (callResult, *apiError) {
	cmds := c.obj("cmd")
	if cmds == nil {
		cmds = newObj()
	}
	halt := c.str("halt")
	stop := halt == "1" || halt == "true"
	r := refs{"result": newObj(), "error": newObj(), "total": newObj(), "next": newObj(), "time": newObj()}
	timeout := c.srv.opts.Limits.RequestTimeout
	for i, key := range cmds.keys {
		cmd, isText := cmds.m[key].(string)
		if !isText {
			continue
		}
		if i >= maxBatch {
			// Commands past the 50th fail one by one; the batch answers.
			r["error"].set(key, errBatchLength.body())
			if stop {
				break
			}
			continue
		}
		if timeout > 0 && c.srv.opts.Cost.Base+c.cost > timeout {
			// The request is already cut off: nothing after runs.
			break
		}
		m, query, _ := strings.Cut(cmd, "?")
		params := decodeForm(query)
		r.substitute(params)
		res, aerr := c.srv.invoke(c.caller, normalizeMethod(m), params, true)
		c.cost += res.processing
		if aerr != nil {
			r["error"].set(key, aerr.body())
			if stop {
				break
			}
			continue
		}
		r["result"].set(key, res.value)
		if res.hasTotal {
			r["total"].set(key, res.total)
		}
		if res.hasNext {
			r["next"].set(key, res.next)
		}
		r["time"].set(key, c.srv.timeBlock(c.portal, res, true))
	}
	return ok(objOf(
		"result", r["result"],
		"result_error", r["error"],
		"result_total", r["total"],
		"result_next", r["next"],
		"result_time", r["time"],
	))
}

// refs are the outcomes a command may reference: $result, $error, $total,
// $next and $time, each keyed by command (rest module,
// CRestUtil::ParseBatchQuery; https://apidocs.bitrix24.com/settings/how-to-call-rest-api/batch.html).
type refs map[string]*obj

// substitute resolves the references in every string of the tree. A value
// that is exactly one reference takes whatever the reference reaches, an
// array included; a reference inside longer text is replaced only by a
// scalar and is otherwise left as written.
func (r refs) substitute(o *obj) {
	for _, k := range o.keys {
		switch v := o.m[k].(type) {
		case *obj:
			r.substitute(v)
		case string:
			if !strings.Contains(v, "$") {
				continue
			}
			if val, n := r.resolve(v); n == len(v) {
				o.m[k] = val
				continue
			}
			o.m[k] = r.replace(v)
		}
	}
}

func (r refs) replace(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		val, n := r.resolve(s[i:])
		if n == 0 {
			b.WriteByte('$')
			s = s[i+1:]
			continue
		}
		if asObj(val) == nil {
			b.WriteString(str(val))
		} else {
			b.WriteString(s[i : i+n])
		}
		s = s[i+n:]
	}
}

// resolve reads one reference at the start of s: $prefix[…] running to
// the next whitespace, its path the bracketed keys in it. The walk stops
// at the deepest key that exists, so a path into a short page or a failed
// command reaches the enclosing array. n is 0 when s starts with no
// reference.
func (r refs) resolve(s string) (val any, n int) {
	ref := s
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		ref = s[:i]
	}
	name, path, found := strings.Cut(strings.TrimPrefix(ref, "$"), "[")
	root := r[strings.ToLower(name)]
	if !strings.HasPrefix(ref, "$") || !found || root == nil {
		return nil, 0
	}
	val, path = root, "["+path
	for {
		_, after, open := strings.Cut(path, "[")
		key, tail, closed := strings.Cut(after, "]")
		if !open || !closed || key == "" {
			break
		}
		next, has := asObj(val).get(key)
		if !has || next == nil {
			break
		}
		val, path = next, tail
	}
	return val, len(ref)
}
