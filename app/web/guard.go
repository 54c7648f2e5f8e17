package web

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/views"
)

// Guards in front of the entry points anybody can reach (the frame POSTs,
// session renewal, sign-in): they run before any handler reads the form.

// entryFailures is how many refused entry requests one client address may
// make per minute before its entry requests are turned away for the rest
// of that minute. Only refusals (4xx) count, so an office of many people
// behind one address is never held back by their successful sign-ins.
const (
	entryFailures = 20
	entryWindow   = time.Minute
	// throttledAddresses bounds the addresses remembered at once.
	throttledAddresses = 100_000
)

// throttleEntry limits refused entry requests per client address. A
// request is counted as it starts, so that a flood in flight cannot pass
// the limit, and uncounted once it succeeds (or fails on Trail's side).
// The count lives in this process; each process allows as much.
func (h *handlers) throttleEntry() fiber.Handler {
	t := newThrottle(entryFailures, entryWindow, throttledAddresses, time.Now)
	return func(c *fiber.Ctx) error {
		addr := clientOf(c)
		if wait := t.begin(addr); wait > 0 {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(int(math.Ceil(wait.Seconds())), 1)))
			c.SetUserContext(views.WithLang(c.UserContext(), c.Query("LANG", c.Query("lang"))))
			return h.problem(c, fiber.StatusTooManyRequests, "error.too_many")
		}
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			status = statusOf(err)
		}
		if status < 400 || status >= 500 {
			t.undo(addr)
		}
		return err
	}
}

// throttle counts failures per key in fixed windows.
type throttle struct {
	max    int
	window time.Duration
	keys   int
	now    func() time.Time

	mu   sync.Mutex
	seen map[string]*failures
}

type failures struct {
	start time.Time
	n     int
}

func newThrottle(max int, window time.Duration, keys int, now func() time.Time) *throttle {
	return &throttle{max: max, window: window, keys: keys, now: now, seen: map[string]*failures{}}
}

// begin counts a request of key that may fail. When key has used up its
// failures it counts nothing and returns how long key is still turned
// away; otherwise 0.
func (t *throttle) begin(key string) time.Duration {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.seen[key]
	if f == nil || !now.Before(f.start.Add(t.window)) {
		if f == nil && len(t.seen) >= t.keys {
			t.forget(now)
		}
		f = &failures{start: now}
		t.seen[key] = f
	}
	if f.n >= t.max {
		return max(f.start.Add(t.window).Sub(now), time.Nanosecond)
	}
	f.n++
	return 0
}

// undo takes back the count of a request of key that did not fail.
func (t *throttle) undo(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f := t.seen[key]; f != nil && f.n > 0 {
		f.n--
	}
}

// forget drops the windows that are over and, if that is not enough, any
// others: a flood from many addresses must not grow the map without bound.
func (t *throttle) forget(now time.Time) {
	for k, f := range t.seen {
		if !now.Before(f.start.Add(t.window)) {
			delete(t.seen, k)
		}
	}
	for k := range t.seen {
		if len(t.seen) < t.keys {
			return
		}
		delete(t.seen, k)
	}
}

// clientKey is where clientAddress keeps the request's client address.
const clientKey = "client_address"

// clientAddress notes the client's address for every throttle of the
// request: the one the proxy in front of Trail reports in header, else the
// connection's peer.
func clientAddress(header string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		addr := c.IP()
		if header != "" {
			if v := strings.TrimSpace(c.Get(header)); v != "" {
				addr = strings.Clone(v) // Fiber reuses the header's buffer
			}
		}
		c.Locals(clientKey, addr)
		return c.Next()
	}
}

// clientOf is the address clientAddress noted.
func clientOf(c *fiber.Ctx) string {
	addr, _ := c.Locals(clientKey).(string)
	return addr
}

// wellFormed answers 400 to a request whose query or form holds a NUL byte
// or invalid UTF-8: no Bitrix24 form does, and PostgreSQL text cannot hold
// them. It writes the answer itself (rather than return an error) so that
// the throttle in front of it sees the refusal.
func wellFormed(c *fiber.Ctx) error {
	ok := true
	check := func(k, v []byte) {
		ok = ok && cleanText(k) && cleanText(v)
	}
	c.Context().QueryArgs().VisitAll(check)
	if strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEMultipartForm) {
		if mf, err := c.MultipartForm(); err == nil {
			for k, vs := range mf.Value {
				for _, v := range vs {
					ok = ok && cleanText([]byte(k)) && cleanText([]byte(v))
				}
			}
		}
	} else {
		c.Request().PostArgs().VisitAll(check)
	}
	if !ok {
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(fiber.StatusBadRequest).SendString("malformed request: a field holds a NUL byte or invalid UTF-8")
	}
	return c.Next()
}

func cleanText(b []byte) bool {
	for _, c := range b {
		if c == 0 {
			return false
		}
	}
	return utf8.Valid(b)
}
