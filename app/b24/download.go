package b24

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// File is a file being downloaded from a portal. The caller closes Body.
type File struct {
	Name        string // from the answer's Content-Disposition; "" when it names none
	ContentType string
	Size        int64 // -1 when the portal did not say
	Body        io.ReadCloser
}

// ErrFileTooLarge is the error of a download whose size passes the limit
// the caller set.
var ErrFileTooLarge = errors.New("b24: file too large")

// Download fetches a file of a record, given its address on the portal as
// a file field's value names it (the legacy downloadUrl, a path and query
// without the access token), with the client's own grant
// (https://apidocs.bitrix24.com/api-reference/files/how-to-update-files.html).
// Only the portal's own origin is called and no redirect is followed, so
// the token goes nowhere else; it never appears in errors. A file the
// portal says is larger than limit is refused with ErrFileTooLarge; the
// body is cut at limit bytes whatever it says.
func (c *Client) Download(ctx context.Context, ref string, limit int64) (*File, error) {
	const method = "download"
	o, ok := c.creds.(OAuth)
	if !ok {
		return nil, fmt.Errorf("b24: downloads need an application's grant, not %T", c.creds)
	}
	endpoint, token, err := c.access(ctx)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(endpoint)
	if err != nil {
		return nil, transportError(method, 0, err)
	}
	rel, err := url.Parse(ref)
	if err != nil || rel.IsAbs() || rel.Host != "" || !strings.HasPrefix(rel.Path, "/") {
		return nil, fmt.Errorf("b24: download address is not a path of the portal")
	}
	target := base.ResolveReference(rel)
	q := target.Query()
	q.Set("auth", token)
	target.RawQuery = q.Encode()
	res, err := c.get(ctx, target)
	if err != nil {
		return nil, err
	}
	if res.StatusCode == http.StatusUnauthorized {
		// The token lapsed early: renew it once and ask again.
		res.Body.Close()
		t, err := c.renew(ctx, o, token)
		if err != nil {
			return nil, err
		}
		q.Set("auth", t.AccessToken)
		target.RawQuery = q.Encode()
		if res, err = c.get(ctx, target); err != nil {
			return nil, err
		}
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, newError(method, res.StatusCode, "", "")
	}
	if res.ContentLength > limit {
		res.Body.Close()
		return nil, ErrFileTooLarge
	}
	f := &File{ContentType: res.Header.Get("Content-Type"), Size: res.ContentLength,
		Body: struct {
			io.Reader
			io.Closer
		}{io.LimitReader(res.Body, limit), res.Body}}
	if _, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition")); err == nil {
		f.Name = params["filename"]
	}
	return f, nil
}

// get sends a GET without following redirects (the client's http.Client
// never does).
func (c *Client) get(ctx context.Context, target *url.URL) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
	if err != nil {
		return nil, transportError("download", 0, err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept", "*/*")
	res, err := c.http.Do(req)
	if err != nil {
		return nil, transportError("download", 0, err)
	}
	return res, nil
}
