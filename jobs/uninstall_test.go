package jobs

import (
	"errors"
	"fmt"
	"testing"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/portal"
)

func TestUninstallVerdict(t *testing.T) {
	for _, c := range []struct {
		name string
		info portal.AppInfo
		err  error
		want Verdict
	}{
		{"the grant works and the app is installed: not uninstalled", portal.AppInfo{Version: 1, Installed: true}, nil, VerdictDenied},
		{"the grant works but app.info says not installed", portal.AppInfo{Version: 1}, nil, VerdictConfirmed},
		{"the access token is refused and so is the refresh", portal.AppInfo{}, fmt.Errorf("x: %w", b24.ErrReauthRequired), VerdictConfirmed},
		{"the token is invalid", portal.AppInfo{}, fmt.Errorf("x: %w", b24.ErrInvalidToken), VerdictConfirmed},
		{"the portal is deleted", portal.AppInfo{}, fmt.Errorf("x: %w", b24.ErrPortalGone), VerdictConfirmed},
		{"rate limited: says nothing", portal.AppInfo{}, fmt.Errorf("x: %w", b24.ErrRateLimited), VerdictUnknown},
		{"unreachable: says nothing", portal.AppInfo{}, fmt.Errorf("x: %w", b24.ErrTransport), VerdictUnknown},
		{"other failure: says nothing", portal.AppInfo{}, errors.New("boom"), VerdictUnknown},
	} {
		if got := UninstallVerdict(c.info, c.err); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
