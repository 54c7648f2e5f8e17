package web

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/trailhq/trail/app/secret"
)

// A renewal ticket lets a page open a new session once its own expired,
// with a fresh token from the SDK. It is sealed with Trail's key ring and
// names the portal and the user, so a renewal POST without one (anybody who
// knows a member_id) is refused before the portal is asked anything.

// RenewalHeader carries a new renewal ticket in the answer to a renewal.
const RenewalHeader = "X-Renewal-Ticket"

// renewalTTL is how long a page can keep renewing its session; a page left
// open longer is reopened from the portal.
const renewalTTL = 24 * time.Hour

var renewalAD = []byte("renewal-ticket")

// renewalTicket seals a ticket for the viewer; "" without a key ring.
func (h *handlers) renewalTicket(v viewer) string {
	if h.Keys == nil {
		return ""
	}
	return sealRenewal(h.Keys, v.MemberID, v.UserID, time.Now().Add(renewalTTL))
}

func sealRenewal(keys *secret.KeyRing, member string, user int64, exp time.Time) string {
	payload := member + "|" + strconv.FormatInt(user, 10) + "|" + strconv.FormatInt(exp.Unix(), 10)
	return base64.RawURLEncoding.EncodeToString(keys.Seal([]byte(payload), renewalAD))
}

// openRenewalTicket returns the user a ticket names, if it is genuine,
// unexpired and for the portal member.
func openRenewalTicket(keys *secret.KeyRing, ticket, member string, now time.Time) (int64, bool) {
	if keys == nil || ticket == "" || len(ticket) > 1024 {
		return 0, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(ticket)
	if err != nil {
		return 0, false
	}
	plain, err := keys.Open(raw, renewalAD)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(plain), "|")
	if len(parts) != 3 || parts[0] != member {
		return 0, false
	}
	user, err1 := strconv.ParseInt(parts[1], 10, 64)
	exp, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || now.Unix() > exp {
		return 0, false
	}
	return user, true
}
