package b24test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Portal is one emulated Bitrix24 account: its users, CRM, installation
// of the app, limits and faults.
type Portal struct {
	srv        *Server
	index      int
	name       string
	memberID   string
	hookSecret string
	zone       *time.Location
	users      []*user
	lang       atomicString

	bucket bucket
	op     operating

	mu     sync.Mutex // guards everything below
	crm    map[int]*entityStore
	spas   map[int]*entityType // the portal's smart processes by entityTypeId
	seq    typeSeq             // next smart-process ids
	inst   *installation
	faults Faults
	plan   Plan
	rnd    *rand.Rand
	fmNext int64 // next multifield value id

	actNext int // last activity id (guarded by mu)

	rows      *rowStore  // product rows written (guarded by mu; made on first use)
	linkSorts linkSorts  // SORT values of link lists (guarded by mu)
	files     fileStore  // uploaded files (guarded by mu)
	noAdd     addDenials // users whose role may not add records of a type (guarded by mu)

	requests   atomic.Int64
	limited    atomic.Int64
	opLimited  atomic.Int64 // calls answered OPERATION_TIME_LIMIT
	refused    atomic.Int64
	refreshes  atomic.Int64
	deliveries deliveryLog
}

// portalZones gives portals different UTC offsets, as real customers have.
var portalZones = []int{2, 3, 0, -5, 5}

func newPortal(s *Server, index int) *Portal {
	seed := uint64(s.opts.Seed)
	r := rand.New(rand.NewPCG(seed, uint64(index)))
	off := portalZones[(index-1)%len(portalZones)]
	p := &Portal{
		srv:        s,
		index:      index,
		name:       fmt.Sprintf("portal-%d", index),
		memberID:   fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()),
		hookSecret: fmt.Sprintf("%016x", r.Uint64()),
		zone:       time.FixedZone(fmt.Sprintf("UTC%+d", off), off*3600),
		rnd:        rand.New(rand.NewPCG(seed^0x5eed, uint64(index))),
		fmNext:     1 << 40,
		plan:       s.opts.Plan,
	}
	p.users = newUsers(r)
	p.lang.Store(s.opts.Language)
	if s.opts.TimeZone != "" {
		if loc, err := time.LoadLocation(s.opts.TimeZone); err == nil {
			p.zone = loc
		}
	}
	p.crm = newCRM(p, s.opts)
	return p
}

// Domain is the portal's host with port, e.g. portal-1.localhost:38123.
func (p *Portal) Domain() string { return p.name + ".localhost:" + p.srv.port }

// MemberID is the portal's stable 32-hex id.
func (p *Portal) MemberID() string { return p.memberID }

// ClientEndpoint is the portal's REST base, http://{domain}/rest/.
func (p *Portal) ClientEndpoint() string { return "http://" + p.Domain() + "/rest/" }

// WebhookURL is the admin's incoming webhook base; append a method name.
// It works on the plain address with any Host header.
func (p *Portal) WebhookURL() string {
	return fmt.Sprintf("%s/rest/%d/%s/", p.srv.URL, adminID, p.hookSecret)
}

// AdminID is the portal administrator's user id.
func (p *Portal) AdminID() int { return adminID }

// UserIDs lists every user id, the administrator first.
func (p *Portal) UserIDs() []int {
	ids := make([]int, len(p.users))
	for i, u := range p.users {
		ids[i] = u.id
	}
	return ids
}

// OwnRecordsUserID is an ordinary user whose CRM read right is "own
// records only": get on others' records is denied, lists are filtered.
func (p *Portal) OwnRecordsUserID() int { return ownRecordsUserID }

// PortalInfo is what `trail emulate` prints per portal, one JSON line each.
type PortalInfo struct {
	Domain           string `json:"domain"`
	MemberID         string `json:"member_id"`
	WebhookURL       string `json:"webhook_url"`
	ClientEndpoint   string `json:"client_endpoint"`
	ServerEndpoint   string `json:"server_endpoint"`
	TokenURL         string `json:"token_url"`
	AuthorizeURL     string `json:"authorize_url"`
	AdminID          int    `json:"admin_id"`
	UserIDs          []int  `json:"user_ids"`
	OwnRecordsUserID int    `json:"own_records_user_id"`
}

// Info describes the portal's addresses and users.
func (p *Portal) Info() PortalInfo {
	return PortalInfo{
		Domain:           p.Domain(),
		MemberID:         p.memberID,
		WebhookURL:       p.WebhookURL(),
		ClientEndpoint:   p.ClientEndpoint(),
		ServerEndpoint:   p.srv.OAuthEndpoint(),
		TokenURL:         p.srv.OAuthTokenURL(),
		AuthorizeURL:     "http://" + p.Domain() + "/oauth/authorize/",
		AdminID:          adminID,
		UserIDs:          p.UserIDs(),
		OwnRecordsUserID: ownRecordsUserID,
	}
}

// Stats are a portal's counters since start.
type Stats struct {
	Requests int64 `json:"requests"`
	Limited  int64 `json:"limited"`
	// Unauthenticated counts REST requests refused for their auth (missing,
	// unknown, expired or revoked token; wrong webhook secret).
	Unauthenticated int64 `json:"unauthenticated"`
	Refreshes       int64 `json:"refreshes"`
	// OperationLimited counts method calls, batch commands included,
	// refused with OPERATION_TIME_LIMIT.
	OperationLimited int64 `json:"operation_limited"`
}

// Stats returns the request, rate-limited, unauthenticated and
// token-refresh counters.
func (p *Portal) Stats() Stats {
	return Stats{Requests: p.requests.Load(), Limited: p.limited.Load(), Unauthenticated: p.refused.Load(), Refreshes: p.refreshes.Load(), OperationLimited: p.opLimited.Load()}
}

// Refreshes is how many refresh_token grants succeeded for this portal.
func (p *Portal) Refreshes() int64 { return p.refreshes.Load() }

// FillBucket sets the leaky bucket's level (e.g. to Burst to make the next
// request fail with QUERY_LIMIT_EXCEEDED).
func (p *Portal) FillBucket(level float64) { p.bucket.fill(p.srv.now(), level) }

func (p *Portal) formatTime(t time.Time) string {
	return t.In(p.zone).Format(time.RFC3339)
}
