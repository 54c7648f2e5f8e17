package web

import (
	"context"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
)

// SessionHeader carries the session token. Trail never sets a cookie:
// Safari drops third-party cookies in iframes, so the page keeps the token
// in localStorage and htmx sends it with every request.
const SessionHeader = "X-Session-Token"

// Session keys.
const (
	keyPortal = "portal_id"
	keyMember = "member_id"
	keyUser   = "user_id"
	keyAdmin  = "admin"
	// keyAdminAt is when Bitrix24 last confirmed the admin flag (unix s).
	keyAdminAt = "admin_at"
	keyLang    = "lang"
	keyZone    = "time_zone"
	keyOffset  = "portal_offset"
	// keyToken is the user's own Bitrix24 access token from the frame
	// (AUTH_ID, confirmed with user.current), sealed: reverts write with it.
	keyToken = "user_token"
)

// NewSessions returns the session manager Trail uses.
func NewSessions(d *db.DB) *scs.SessionManager {
	sm := scs.New()
	sm.Store = db.NewSessionStore(d)
	sm.Lifetime = 12 * time.Hour
	sm.IdleTimeout = 2 * time.Hour
	sm.Cookie.Name = "" // documentation only: the cookie is never used
	return sm
}

// sessions loads the session named by the request header and, when the
// handler changed it, stores it and returns the (possibly new) token in the
// response header.
func sessions(sm *scs.SessionManager) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, err := sm.Load(c.UserContext(), c.Get(SessionHeader))
		if err != nil {
			return err
		}
		if id := sm.GetInt64(ctx, keyPortal); id != 0 {
			ctx = db.WithPortal(ctx, id)
		}
		c.SetUserContext(ctx)
		herr := c.Next()
		switch sm.Status(c.UserContext()) {
		case scs.Modified:
			token, expiry, err := sm.Commit(c.UserContext())
			if err != nil {
				return err
			}
			c.Set(SessionHeader, token)
			c.Set("X-Session-Expires", expiry.UTC().Format(http.TimeFormat))
		case scs.Destroyed:
			c.Set(SessionHeader, "")
		}
		return herr
	}
}

// viewer is who is looking, as the session says.
type viewer struct {
	PortalID int64
	MemberID string
	UserID   int64
	Admin    bool
	// AdminAt is when Bitrix24 last confirmed Admin.
	AdminAt  time.Time
	Lang     string
	TimeZone string // the user's IANA zone from Bitrix24; "" for the portal's default
	// PortalOffset is the portal's UTC offset in seconds, as the dates of
	// the record the user opened carried it; nil when unknown.
	PortalOffset *int32
	// token is the user's access token the portal just confirmed; it is
	// kept in the session sealed and never read back into a viewer.
	token string
}

func currentViewer(sm *scs.SessionManager, ctx context.Context) (viewer, bool) {
	v := viewer{
		PortalID: sm.GetInt64(ctx, keyPortal), MemberID: sm.GetString(ctx, keyMember),
		UserID: sm.GetInt64(ctx, keyUser), Admin: sm.GetBool(ctx, keyAdmin), Lang: sm.GetString(ctx, keyLang),
		AdminAt: time.Unix(sm.GetInt64(ctx, keyAdminAt), 0), TimeZone: sm.GetString(ctx, keyZone),
	}
	if sm.Exists(ctx, keyOffset) {
		off := int32(sm.GetInt(ctx, keyOffset))
		v.PortalOffset = &off
	}
	return v, v.PortalID != 0 && v.UserID != 0
}

// startSession replaces whatever session the request had with one for the
// verified viewer (a new token, so a token seen before cannot be reused).
// The viewer's admin flag was just confirmed by Bitrix24. Call it only for
// a request that succeeds: a refused one must leave no session behind.
func startSession(sm *scs.SessionManager, keys *secret.KeyRing, c *fiber.Ctx, v viewer) (string, error) {
	ctx := db.WithPortal(c.UserContext(), v.PortalID)
	if err := sm.RenewToken(ctx); err != nil {
		return "", err
	}
	sm.Put(ctx, keyPortal, v.PortalID)
	sm.Put(ctx, keyMember, v.MemberID)
	sm.Put(ctx, keyUser, v.UserID)
	sm.Put(ctx, keyAdmin, v.Admin)
	sm.Put(ctx, keyAdminAt, time.Now().Unix())
	sm.Put(ctx, keyLang, v.Lang)
	sm.Put(ctx, keyZone, v.TimeZone)
	if v.PortalOffset != nil {
		sm.Put(ctx, keyOffset, int(*v.PortalOffset))
	}
	if keys != nil && v.token != "" {
		sm.Put(ctx, keyToken, keys.Seal([]byte(v.token), tokenAD(v.PortalID, v.UserID)))
	}
	token, _, err := sm.Commit(ctx)
	if err != nil {
		return "", err
	}
	c.SetUserContext(ctx)
	return token, nil
}

// userToken is the viewer's own Bitrix24 token the session keeps, "" when
// it has none (a session opened before tokens were kept, or by sign-in).
// It lives as long as Bitrix24 lets it (an hour); the page renews its
// session with a fresh one from the SDK, as it does when the session ends.
func userToken(sm *scs.SessionManager, keys *secret.KeyRing, ctx context.Context, v viewer) string {
	sealed := sm.GetBytes(ctx, keyToken)
	if keys == nil || len(sealed) == 0 {
		return ""
	}
	plain, err := keys.Open(sealed, tokenAD(v.PortalID, v.UserID))
	if err != nil {
		return ""
	}
	return string(plain)
}

// tokenAD binds a sealed token to its portal and user.
func tokenAD(portalID, userID int64) []byte {
	return []byte("session-token|" + itoa(portalID) + "|" + itoa(userID))
}

// canRead remembers, for a few minutes, that the portal let the viewer read
// a record: Trail must never show history of a record the user may not open.
const readGrant = 5 * time.Minute

func grantRead(sm *scs.SessionManager, ctx context.Context, entity string, id int64) {
	sm.Put(ctx, "read:"+entity+":"+itoa(id), time.Now().Add(readGrant).Unix())
}

func mayRead(sm *scs.SessionManager, ctx context.Context, entity string, id int64) bool {
	return sm.GetInt64(ctx, "read:"+entity+":"+itoa(id)) > time.Now().Unix()
}
