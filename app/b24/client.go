package b24

import (
	"net/http"
	"sync"
	"time"
)

// Options configure a Client. The zero value works; applications that run
// many clients should share one Limiter, one Pacer and one http.Client
// between all of them.
type Options struct {
	// HTTPClient sends the requests; nil means http.DefaultClient. Its
	// redirect policy is not used: the client follows a portal's address
	// change itself, repeating the POST (net/http would turn it into a GET).
	HTTPClient *http.Client
	// Limiter keeps requests inside each portal's leaky bucket; nil means a
	// MemoryLimiter private to this client.
	Limiter Limiter
	// Pacer keeps methods inside their execution-time budget; nil means a
	// Pacer private to this client.
	Pacer *Pacer
	// Observer sees every HTTP request; nil means none.
	Observer Observer
	// UserAgent is sent with every request; default "b24-go".
	UserAgent string
	// MaxAttempts bounds how many requests one call may make (first try
	// included) when it meets retryable failures; default 8. The context's
	// deadline bounds it too.
	MaxAttempts int
	// BackoffBase and BackoffMax shape the jittered exponential backoff
	// between retries; defaults 500 ms and 30 s.
	BackoffBase, BackoffMax time.Duration
	// OperatingBackoff is the first wait after OPERATION_TIME_LIMIT when the
	// method's reset time is unknown; it doubles up to a minute. Default 10 s.
	OperatingBackoff time.Duration
	// MaxWait bounds how long one call waits for the portal's bucket, the
	// method's execution-time budget or a retry; past it the call fails with
	// a *WouldWaitError saying how long it would have been. Zero means no
	// bound but the context's deadline. Calls made while a person waits
	// (opening a page) set it so that a busy portal answers "try again"
	// instead of hanging.
	MaxWait time.Duration
	// RefreshBefore is how long before its expiry an access token is
	// refreshed without waiting for the portal to reject it; default one
	// minute. Negative disables early refreshes.
	RefreshBefore time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Client calls one portal's REST API. It is safe for concurrent use.
type Client struct {
	creds    Credentials
	portal   string
	http     *http.Client
	limiter  Limiter
	pacer    *Pacer
	observer Observer
	opts     Options

	mu  sync.Mutex
	tok Token // OAuth: the last token seen; zero until loaded
}

// New returns a client that calls a portal with the given credentials.
func New(creds Credentials, opts Options) *Client {
	c := &Client{creds: creds, portal: creds.portalKey(), opts: opts}
	hc := opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &cp
	c.limiter = opts.Limiter
	if c.limiter == nil {
		c.limiter = &MemoryLimiter{Now: opts.Now}
	}
	c.pacer = opts.Pacer
	if c.pacer == nil {
		c.pacer = &Pacer{Now: opts.Now}
	}
	c.observer = opts.Observer
	if c.observer == nil {
		c.observer = nopObserver{}
	}
	if c.opts.UserAgent == "" {
		c.opts.UserAgent = "b24-go"
	}
	if c.opts.MaxAttempts <= 0 {
		c.opts.MaxAttempts = 8
	}
	if c.opts.BackoffBase <= 0 {
		c.opts.BackoffBase = 500 * time.Millisecond
	}
	if c.opts.BackoffMax <= 0 {
		c.opts.BackoffMax = 30 * time.Second
	}
	if c.opts.OperatingBackoff <= 0 {
		c.opts.OperatingBackoff = 10 * time.Second
	}
	if c.opts.RefreshBefore == 0 {
		c.opts.RefreshBefore = time.Minute
	}
	return c
}

// Portal returns the credentials' portal key.
func (c *Client) Portal() string { return c.portal }

func (c *Client) now() time.Time {
	if c.opts.Now != nil {
		return c.opts.Now()
	}
	return time.Now()
}
