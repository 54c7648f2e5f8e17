package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/db"
)

// AppInfo is what app.info says about Trail's installation on a portal
// (https://apidocs.bitrix24.com/api-reference/common/system/app-info.html).
type AppInfo struct {
	Version   int
	Installed bool
}

// Standing is what a portal says about the owner of an access token: who
// they are, whether they administer the portal (only administrators install
// and update apps), and the installation as app.info reports it to them.
type Standing struct {
	UserID int64
	Admin  bool
	App    AppInfo
}

// standingWait bounds how long an install or update waits for the portal's
// rate limit while asking about the token's owner; past it the portal is
// busy and the request is answered "try again".
const standingWait = 10 * time.Second

// StandingOf asks the portal at endpoint about the owner of accessToken, in
// one batch: user.current, user.admin and app.info. memberID is the portal
// the authorization server said the token belongs to.
func (c *Clients) StandingOf(ctx context.Context, memberID, endpoint, accessToken string) (Standing, error) {
	cl := c.ForUser(&db.Installation{MemberID: memberID, ClientEndpoint: endpoint}, accessToken, standingWait)
	var b b24.Batch
	b.Add("me", "user.current", nil)
	b.Add("admin", "user.admin", nil)
	b.Add("app", "app.info", nil)
	res, err := cl.Batch(ctx, &b)
	if err != nil {
		return Standing{}, err
	}
	var me struct {
		ID json.Number `json:"ID"`
	}
	if err := res.Decode("me", &me); err != nil {
		return Standing{}, fmt.Errorf("user.current: %w", err)
	}
	uid, err := me.ID.Int64()
	if err != nil || uid <= 0 {
		return Standing{}, fmt.Errorf("user.current: no user id: %w", b24.ErrInvalidToken)
	}
	var s Standing
	s.UserID = uid
	if err := res.Decode("admin", &s.Admin); err != nil {
		return Standing{}, fmt.Errorf("user.admin: %w", err)
	}
	raw, err := res.Result("app")
	if err != nil {
		return Standing{}, fmt.Errorf("app.info: %w", err)
	}
	if s.App, err = decodeAppInfo(raw); err != nil {
		return Standing{}, err
	}
	return s, nil
}

// StoredAppInfo calls app.info with the installation's stored grant, the
// credentials only Trail holds: whether they still work is the portal's
// word on whether the installation they belong to still exists.
func (c *Clients) StoredAppInfo(ctx context.Context, in *db.Installation) (AppInfo, error) {
	cl, err := c.For(in)
	if err != nil {
		return AppInfo{}, err
	}
	res, err := cl.Call(ctx, "app.info", nil)
	if err != nil {
		return AppInfo{}, err
	}
	return decodeAppInfo(res.Result)
}

func decodeAppInfo(raw json.RawMessage) (AppInfo, error) {
	var v struct {
		Version   any  `json:"VERSION"`
		Installed bool `json:"INSTALLED"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return AppInfo{}, fmt.Errorf("app.info: %w", err)
	}
	n, err := strconv.Atoi(fmt.Sprint(v.Version))
	if err != nil {
		return AppInfo{}, fmt.Errorf("app.info: VERSION %v is not a number", v.Version)
	}
	return AppInfo{Version: n, Installed: v.Installed}, nil
}

// GrantDead reports whether err says the credentials used no longer work:
// the access token is refused and so is the refresh token, or the portal is
// gone. After an uninstall a portal answers exactly so ("saved tokens stop
// working"); a refused call for any other reason (rate limits, outages) says
// nothing.
func GrantDead(err error) bool {
	return errors.Is(err, b24.ErrReauthRequired) || errors.Is(err, b24.ErrInvalidToken) || errors.Is(err, b24.ErrPortalGone)
}
