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
// portal says is larger than limit is refused with ErrFileTooLarge, and a
// body that grows past limit fails with it when read.
func (c *Client) Download(ctx context.Context, ref string, limit int64) (*File, error) {
	res, err := c.fetchFile(ctx, http.MethodGet, ref)
	if err != nil {
		return nil, err
	}
	if res.ContentLength > limit {
		res.Body.Close()
		return nil, ErrFileTooLarge
	}
	f := fileOf(res)
	f.Body = &capped{body: res.Body, left: limit}
	return f, nil
}

// FileInfo asks the portal for a file's name, type and size without its
// body (a HEAD request at the address Download takes).
func (c *Client) FileInfo(ctx context.Context, ref string) (*File, error) {
	res, err := c.fetchFile(ctx, http.MethodHead, ref)
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	return fileOf(res), nil
}

func fileOf(res *http.Response) *File {
	f := &File{ContentType: res.Header.Get("Content-Type"), Size: res.ContentLength}
	if _, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition")); err == nil {
		f.Name = params["filename"]
	}
	return f
}

// fetchFile requests a file address of the portal with the client's
// token, renewing a token the portal refuses once; any answer but 200 is
// an *Error.
func (c *Client) fetchFile(ctx context.Context, method, ref string) (*http.Response, error) {
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
		return nil, transportError("download", 0, err)
	}
	rel, err := url.Parse(ref)
	if err != nil || rel.IsAbs() || rel.Host != "" || !strings.HasPrefix(rel.Path, "/") {
		return nil, fmt.Errorf("b24: download address is not a path of the portal")
	}
	target := base.ResolveReference(rel)
	q := target.Query()
	q.Set("auth", token)
	target.RawQuery = q.Encode()
	res, err := c.get(ctx, method, target)
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
		if res, err = c.get(ctx, method, target); err != nil {
			return nil, err
		}
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, newError("download", res.StatusCode, "", "")
	}
	return res, nil
}

// get sends a GET or HEAD without following redirects (the client's
// http.Client never does).
func (c *Client) get(ctx context.Context, method string, target *url.URL) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, target.String(), nil)
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

// capped reads a body up to a limit, and fails with ErrFileTooLarge past
// it rather than ending as if the file were whole.
type capped struct {
	body io.ReadCloser
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := c.body.Read(one[:]); n > 0 {
			return 0, ErrFileTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.body.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *capped) Close() error { return c.body.Close() }
