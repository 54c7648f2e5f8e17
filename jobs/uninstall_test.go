package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/riverqueue/river/rivertype"

	"github.com/trailhq/trail/app/b24"
	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/portal"
	"github.com/trailhq/trail/db"
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

// TestUninstallIsActedOnOnlyWhenThePortalConfirms: while the grant works
// and the app is installed, the check is only scheduled again; once the
// portal has revoked it, the installation is marked uninstalled, its
// tokens destroyed and the purge scheduled after the grace period.
func TestUninstallIsActedOnOnlyWhenThePortalConfirms(t *testing.T) {
	t.Parallel()
	b := newBench(t, b24test.Options{})
	driver := riverpgxv5.New(b.d.Pool)
	b.done(t, UninstallArgs{PortalID: b.portal})
	jobs := rivertest.RequireManyInserted(b.ctx, t, driver, []rivertest.ExpectedJob{{Args: UninstallArgs{}}, {Args: UninstallArgs{}}})
	var next UninstallArgs
	if err := json.Unmarshal(jobs[1].EncodedArgs, &next); err != nil || jobs[1].State != rivertype.JobStateScheduled || next != (UninstallArgs{PortalID: b.portal, Check: 1}) {
		t.Errorf("next check %s %+v", jobs[1].State, next)
	}
	in, err := db.InstallationByID(b.ctx, b.d.Bun, b.portal)
	if err != nil || in.Status != db.StatusActive {
		t.Fatalf("after an unconfirmed uninstall: %v %v", in, err)
	}

	if err := b.p.Uninstall(false); err != nil {
		t.Fatal(err)
	}
	b.done(t, UninstallArgs{PortalID: b.portal, Check: 2})
	in, err = db.InstallationByID(b.ctx, b.d.Bun, b.portal)
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != db.StatusUninstalled || in.AccessToken != nil || in.RefreshToken != nil {
		t.Errorf("status %s, tokens kept %v", in.Status, in.AccessToken != nil || in.RefreshToken != nil)
	}
	purge := rivertest.RequireInserted(b.ctx, t, driver, PurgeArgs{}, &rivertest.RequireInsertedOpts{State: rivertype.JobStateScheduled})
	if purge.Args.PortalID != b.portal || purge.ScheduledAt.Before(time.Now().Add(purgeGrace-time.Hour)) {
		t.Errorf("purge of portal %d at %s", purge.Args.PortalID, purge.ScheduledAt)
	}
}
