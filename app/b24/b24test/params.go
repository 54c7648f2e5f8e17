package b24test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
)

// maxNesting bounds the depth of bracket keys and JSON values, like PHP's
// max_input_nesting_level, so hostile input cannot build deep trees.
const maxNesting = 64

// maxBody bounds a request body; Bitrix24 refuses far smaller ones.
const maxBody = 32 << 20

// decodeForm parses a URL-encoded query with PHP-style nested keys
// (filter[>ID]=5&select[]=ID) into an ordered tree. Pairs that cannot be
// unescaped are skipped, as PHP does.
func decodeForm(q string) *obj {
	root := newObj()
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			continue
		}
		setPath(root, key, val)
	}
	return root
}

// splitKey splits "a[b][]" into "a" and the segments ["b", ""]. Text after
// an unclosed bracket is dropped, as PHP drops it.
func splitKey(key string) (string, []string) {
	i := strings.IndexByte(key, '[')
	if i <= 0 {
		return key, nil
	}
	name, rest := key[:i], key[i:]
	var segs []string
	for strings.HasPrefix(rest, "[") && len(segs) < maxNesting {
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			if len(segs) == 0 {
				return key, nil
			}
			break
		}
		segs = append(segs, rest[1:j])
		rest = rest[j+1:]
	}
	return name, segs
}

// setPath stores val under the bracket key in root, creating arrays on the
// way; an empty segment appends, and a scalar in the way is replaced.
func setPath(root *obj, key, val string) {
	name, segs := splitKey(key)
	if name == "" {
		return
	}
	cur := root
	k := name
	for _, s := range segs {
		next := asObj(cur.m[k])
		if next == nil {
			next = newObj()
			cur.set(k, next)
		}
		cur = next
		if s == "" {
			s = fmt.Sprint(cur.nextIndex())
		}
		k = s
	}
	cur.set(k, val)
}

// decodeJSON parses a JSON document into an ordered tree; arrays become
// lists, numbers stay json.Number so no precision is lost.
func decodeJSON(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := decodeJSONValue(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

func decodeJSONValue(d *json.Decoder, depth int) (any, error) {
	if depth > maxNesting {
		return nil, errors.New("JSON nested too deeply")
	}
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		o := newObj()
		switch t {
		case '[':
			for d.More() {
				v, err := decodeJSONValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				o.push(v)
			}
		case '{':
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeJSONValue(d, depth+1)
				if err != nil {
					return nil, err
				}
				o.set(k, v)
			}
		}
		if _, err := d.Token(); err != nil {
			return nil, err
		}
		return o, nil
	default:
		return t, nil
	}
}

// readParams merges every parameter source of a REST request: the query
// string, then the body (form, multipart or JSON) on top.
func readParams(r *http.Request) (*obj, error) {
	params := decodeForm(r.URL.RawQuery)
	if r.Body == nil || r.Method == http.MethodGet {
		return params, nil
	}
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	switch {
	case ct == "multipart/form-data":
		return mergeMultipart(params, body, ctParams["boundary"])
	case ct == "application/json" || (ct == "" && looksLikeJSON(body)):
		if len(bytes.TrimSpace(body)) == 0 {
			return params, nil
		}
		v, err := decodeJSON(body)
		if err != nil {
			return nil, fmt.Errorf("decode JSON body: %w", err)
		}
		if o := asObj(v); o != nil {
			for _, k := range o.keys {
				params.set(k, o.m[k])
			}
		}
	default:
		b := decodeForm(string(body))
		for _, k := range b.keys {
			params.set(k, b.m[k])
		}
	}
	return params, nil
}

func looksLikeJSON(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && (b[0] == '{' || b[0] == '[')
}

// mergeMultipart adds the text parts of a multipart body to params; file
// parts are kept as their content, which is all the emulated methods need.
func mergeMultipart(params *obj, body []byte, boundary string) (*obj, error) {
	if boundary == "" {
		return nil, errors.New("multipart body without boundary")
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return params, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read multipart: %w", err)
		}
		v, err := io.ReadAll(io.LimitReader(p, maxBody))
		if err != nil {
			return nil, fmt.Errorf("read multipart part: %w", err)
		}
		if name := p.FormName(); name != "" {
			setPath(params, name, string(v))
		}
	}
}
