package web

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/history"
	"github.com/trailhq/trail/app/secret"
	"github.com/trailhq/trail/db"
	"github.com/trailhq/trail/views"
)

// Bitrix24 opens Trail's pages with a POST carrying the user's tokens and
// the portal's member_id. Nothing in it is trusted as is, and the cheap
// checks come first, so that an outsider who knows only a member_id
// cannot make Trail spend the portal's REST budget: the form's
// shape; the installation, looked up by member_id; the APPLICATION_TOKEN
// every frame POST carries, against its stored hash; the tokens the portal
// refused lately. Only then is the user's token checked by calling the
// portal at the installation's stored endpoint (so a forged DOMAIN changes
// nothing and another portal's token fails), waiting at most
// interactiveWait for the portal's bucket, and only then a session starts.
// https://apidocs.bitrix24.com/api-reference/widgets/crm/detail-tab.html

// Access tokens live an hour; one the portal refused is not accepted later.
const (
	refusedTTL = time.Hour
	refusedMax = 50_000
)

// interactiveWait is how long a person's request may wait for the portal's
// rate limit; past it the page says "busy, try again".
const interactiveWait = 2 * time.Second

// entryForm is what the frame POST carries.
type entryForm struct {
	AuthID    string
	MemberID  string
	AppToken  string
	Placement string
	Options   map[string]any
	Lang      string
}

// readEntry reads a frame POST; ok is false when its fields cannot be what
// Bitrix24 sends.
func readEntry(c *fiber.Ctx) (f entryForm, ok bool) {
	f = entryForm{
		AuthID: c.FormValue("AUTH_ID"), MemberID: c.FormValue("member_id"), AppToken: c.FormValue("APPLICATION_TOKEN"),
		Placement: strings.ToUpper(c.FormValue("PLACEMENT")), Lang: c.Query("LANG", c.FormValue("LANG")),
	}
	if f.Placement == "" {
		f.Placement = "DEFAULT"
	}
	// PLACEMENT_OPTIONS is a JSON string, occasionally not JSON at all.
	_ = json.Unmarshal([]byte(c.FormValue("PLACEMENT_OPTIONS")), &f.Options)
	return f, plausibleToken(f.MemberID) && plausibleToken(f.AuthID) && plausibleToken(f.AppToken)
}

// plausibleToken reports whether s can be a member_id or a Bitrix24 token:
// a short run of letters, digits, dots, dashes and underscores.
func plausibleToken(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '.' || b == '-' || b == '_') {
			return false
		}
	}
	return true
}

// who is the verified user behind a frame POST.
type who struct {
	in     *db.Installation
	viewer viewer
	// readable reports, for the record asked about, whether Bitrix24 let
	// the user read it.
	readable bool
}

var (
	errNotInstalled = errors.New("not installed")
	errBadToken     = errors.New("token not accepted")
)

// installation finds the active installation of a portal.
func (h *handlers) installation(ctx context.Context, memberID string) (*db.Installation, error) {
	in, err := db.InstallationByMemberID(ctx, h.DB.Bun, memberID)
	if errors.Is(err, db.ErrNotFound) {
		return nil, errNotInstalled
	}
	if err != nil {
		return nil, err
	}
	if in.Status == db.StatusUninstalled || in.Status == db.StatusPurged {
		return nil, errNotInstalled
	}
	return in, nil
}

// admit runs the checks of a frame POST, cheapest first: the installation,
// the application token, then the user's token at the portal.
func (h *handlers) admit(ctx context.Context, f entryForm, entity string, id int64) (*who, error) {
	in, err := h.installation(ctx, f.MemberID)
	if err != nil {
		return nil, err
	}
	if !secret.TokenMatches(in.ApplicationTokenHash, f.AppToken) {
		return nil, errBadToken
	}
	return h.verify(ctx, in, f.AuthID, f.Lang, entity, id)
}

// verify checks the user's token at the stored endpoint and, when a record
// is named, whether the user may read it: one batch, one HTTP request. A
// token the portal refused is remembered and refused again without asking.
func (h *handlers) verify(ctx context.Context, in *db.Installation, authID, lang string, entity string, id int64) (*who, error) {
	if h.refused.Has(time.Now(), in.MemberID, authID) {
		return nil, errBadToken
	}
	w, err := h.askPortal(ctx, in, authID, lang, entity, id)
	if errors.Is(err, errBadToken) {
		h.refused.Add(time.Now(), in.MemberID, authID)
	}
	return w, err
}

func (h *handlers) askPortal(ctx context.Context, in *db.Installation, authID, lang string, entity string, id int64) (*who, error) {
	c := h.Clients.ForUser(in, authID, interactiveWait)
	var b b24.Batch
	b.Add("me", "user.current", nil)
	b.Add("admin", "user.admin", nil)
	if entity != "" {
		// The user's own read right on the record, through the user's
		// token: crm.item.get for the types Trail reads through crm.item.
		if t, _ := crm.ParseType(entity); t.Legacy() {
			b.Add("record", t.Method("get"), b24.Params{"id": id})
		} else {
			b.Add("record", "crm.item.get", b24.Params{"entityTypeId": int(t), "id": id})
		}
	}
	res, err := c.Batch(ctx, &b)
	if err != nil {
		if errors.Is(err, b24.ErrInvalidToken) || errors.Is(err, b24.ErrExpiredToken) || errors.Is(err, b24.ErrReauthRequired) || errors.Is(err, b24.ErrAccessDenied) {
			return nil, errBadToken
		}
		return nil, err
	}
	var me struct {
		ID       json.Number `json:"ID"`
		TimeZone string      `json:"TIME_ZONE"`
	}
	if err := res.Decode("me", &me); err != nil {
		return nil, errBadToken
	}
	uid, err := me.ID.Int64()
	if err != nil || uid <= 0 {
		return nil, errBadToken
	}
	var admin bool
	_ = res.Decode("admin", &admin)
	w := &who{in: in, viewer: viewer{PortalID: in.ID, MemberID: in.MemberID, UserID: uid, Admin: admin, Lang: views.Lang(lang), TimeZone: me.TimeZone, token: authID}}
	if entity != "" {
		raw, rerr := res.Result("record")
		w.readable = rerr == nil
		w.viewer.PortalOffset = portalOffset(raw)
	}
	return w, nil
}

// portalOffset is the UTC offset the portal wrote a record's dates with
// (DATE_MODIFY; crm.item's updatedTime), nil when it cannot be read.
func portalOffset(record json.RawMessage) *int32 {
	var item struct {
		Item json.RawMessage `json:"item"`
	}
	if json.Unmarshal(record, &item) == nil && item.Item != nil {
		record = item.Item
	}
	s, err := history.ItemSnapshot(nil, record)
	if err != nil {
		return nil
	}
	if off, ok := history.Offset(s); ok {
		return &off
	}
	return nil
}

// entityOfPlacement maps CRM_DEAL_DETAIL_TAB to deal; "" for a placement
// that is not a detail tab of a type Trail records.
func entityOfPlacement(code string) string {
	if t, ok := crm.TypeOfDetailTab(code); ok {
		return t.String()
	}
	return ""
}

func optionID(opts map[string]any) int64 {
	switch v := opts["ID"].(type) {
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	case float64:
		return int64(v)
	}
	return 0
}

// enter handles every frame POST: a CRM tab, the app's main page.
func (h *handlers) enter(c *fiber.Ctx) error {
	f, ok := readEntry(c)
	c.SetUserContext(views.WithLang(c.UserContext(), f.Lang))
	if !ok {
		return h.problem(c, fiber.StatusUnauthorized, "error.unauthorized")
	}
	entity := entityOfPlacement(f.Placement)
	var id int64
	if entity != "" {
		if id = optionID(f.Options); id <= 0 {
			return h.problem(c, fiber.StatusBadRequest, "error.title")
		}
	}
	w, err := h.admit(c.UserContext(), f, entity, id)
	if err != nil {
		return h.entryError(c, err)
	}
	allowFraming(c, w.in.ClientEndpoint)
	c.SetUserContext(views.WithLang(c.UserContext(), w.viewer.Lang))
	// Refusals come before the session: a refused request leaves none.
	if entity != "" && !w.readable {
		return h.problem(c, fiber.StatusForbidden, "error.no_read")
	}
	token, err := startSession(h.Sessions, h.Keys, c, w.viewer)
	if err != nil {
		return err
	}
	sess := views.FrameSession{Token: token, MemberID: w.in.MemberID, Renewal: h.renewalTicket(w.viewer)}
	switch {
	case entity == "" && w.viewer.Admin:
		return h.mainPage(c, w, sess)
	case entity == "":
		// Everybody else finds the deleted records they may read.
		return views.Render(c, views.DeletedPage(sess))
	}
	grantRead(h.Sessions, c.UserContext(), entity, id)
	sess.Context = entity + ":" + itoa(id)
	t, _ := crm.ParseType(entity)
	return h.tabPage(c, w.viewer, t, id, sess)
}

// renewSession starts a new session from a fresh token the page got from
// the SDK after its session expired (or its admin flag needs confirming);
// the page's context (the record it shows) is checked again. The page has
// no application token to show (the browser must never see it), so the
// cheap check here is the renewal ticket Trail gave the page with its
// session: sealed, naming the portal and the user, expiring.
func (h *handlers) renewSession(c *fiber.Ctx) error {
	member, authID := c.FormValue("member_id"), c.FormValue("AUTH_ID")
	if !plausibleToken(member) || !plausibleToken(authID) {
		return h.problem(c, fiber.StatusUnauthorized, "error.unauthorized")
	}
	user, ok := openRenewalTicket(h.Keys, c.FormValue("ticket"), member, time.Now())
	if !ok {
		return h.problem(c, fiber.StatusUnauthorized, "error.unauthorized")
	}
	in, err := h.installation(c.UserContext(), member)
	if err != nil {
		return h.entryError(c, err)
	}
	entity, id := parseContext(c.FormValue("context"))
	w, err := h.verify(c.UserContext(), in, authID, "", entity, id)
	if err != nil {
		return h.entryError(c, err)
	}
	if w.viewer.UserID != user {
		return h.problem(c, fiber.StatusUnauthorized, "error.unauthorized")
	}
	w.viewer.Lang = views.Lang(h.Sessions.GetString(c.UserContext(), keyLang))
	token, err := startSession(h.Sessions, h.Keys, c, w.viewer)
	if err != nil {
		return err
	}
	if entity != "" && w.readable {
		grantRead(h.Sessions, c.UserContext(), entity, id)
	}
	c.Set(SessionHeader, token)
	c.Set(RenewalHeader, h.renewalTicket(w.viewer))
	return c.SendStatus(fiber.StatusNoContent)
}

func parseContext(s string) (string, int64) {
	e, idText, ok := strings.Cut(s, ":")
	if !ok {
		return "", 0
	}
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil || id <= 0 {
		return "", 0
	}
	if t, ok := crm.ParseType(e); ok {
		return t.String(), id
	}
	return "", 0
}

func (h *handlers) entryError(c *fiber.Ctx, err error) error {
	if d, ok := b24.RetryAfter(err); ok && errors.Is(err, b24.ErrWouldWait) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(int(math.Ceil(d.Seconds())), 1)))
		return h.problem(c, fiber.StatusServiceUnavailable, "error.busy")
	}
	switch {
	case errors.Is(err, errNotInstalled):
		return h.problem(c, fiber.StatusUnauthorized, "error.not_installed")
	case errors.Is(err, errBadToken):
		return h.problem(c, fiber.StatusUnauthorized, "error.unauthorized")
	}
	return err
}

// problem renders a short explanation with a status.
func (h *handlers) problem(c *fiber.Ctx, status int, key string) error {
	ctx := c.UserContext()
	c.Status(status)
	if c.Get("HX-Request") == "true" {
		return c.SendString(views.T(ctx, key))
	}
	title := "error.title"
	switch status {
	case fiber.StatusForbidden:
		title = "error.title.forbidden"
	case fiber.StatusUnauthorized:
		title = "error.title.unauthorized"
	case fiber.StatusServiceUnavailable, fiber.StatusTooManyRequests:
		title = "error.title.busy"
	}
	return views.Render(c, views.Problem(views.T(ctx, title), views.T(ctx, key)))
}
