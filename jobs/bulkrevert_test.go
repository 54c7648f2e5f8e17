package jobs

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/revert"
	"github.com/trailhq/trail/db"
)

// bulkBench is a bench whose deals 1–3 user 2 retitled, recorded.
type bulkBench struct {
	*bench
	titles   map[int]string
	from, to time.Time
}

func newBulkBench(t *testing.T) *bulkBench {
	t.Helper()
	b := &bulkBench{bench: newBench(t, b24test.Options{Deals: 3}), titles: map[int]string{}}
	b.done(t, SetupArgs{PortalID: b.portal})
	b.completed(t, SyncArgs{}.Kind(), `"deal"`)
	b.from = time.Now().Add(-2 * time.Second)
	for i := 1; i <= 3; i++ {
		rec, _ := b.p.Record("deal", i)
		b.titles[i] = fmt.Sprint(rec["TITLE"])
		b.edit(t, i, 2, fmt.Sprintf("Mistake %d", i))
	}
	b.to = time.Now().Add(2 * time.Second)
	return b
}

// edit retitles a deal as user and drains the change into the history.
func (b *bulkBench) edit(t *testing.T, deal, user int, title string) {
	t.Helper()
	if err := b.p.UpdateRecord("deal", deal, user, map[string]any{"TITLE": title}); err != nil {
		t.Fatal(err)
	}
	row := db.InboxRow{Entity: crm.Deal, EntityID: int64(deal), Kind: db.InboxUpdate, Origin: db.OriginOnline, UserAuth: true}
	if err := db.AddToInbox(b.ctx, b.d.Bun, b.portal, []db.InboxRow{row}); err != nil {
		t.Fatal(err)
	}
	b.done(t, DrainArgs{PortalID: b.portal})
}

// service is revert.Bulk as the settings page builds it, its jobs on the
// bench's River client; enqueue false leaves the job to the test.
func (b *bulkBench) service(enqueue bool) *revert.Bulk {
	return &revert.Bulk{DB: b.d, Clients: b.deps.Clients, Enqueue: func(ctx context.Context, tx db.Tx, portalID, bulkID int64) error {
		if !enqueue {
			return nil
		}
		return EnqueueBulkRevert(ctx, tx, b.rc, portalID, bulkID)
	}}
}

// admin is the portal's administrator with a fresh token of theirs.
func (b *bulkBench) admin(t *testing.T) revert.Actor {
	t.Helper()
	tok, err := b.p.IssueTokens(b.p.AdminID())
	if err != nil {
		t.Fatal(err)
	}
	in, err := db.InstallationByID(b.ctx, b.d.Bun, b.portal)
	if err != nil {
		t.Fatal(err)
	}
	return revert.Actor{In: in, UserID: int64(b.p.AdminID()), Token: tok.AccessToken}
}

func (b *bulkBench) title(t *testing.T, deal int) string {
	t.Helper()
	rec, _ := b.p.Record("deal", deal)
	return fmt.Sprint(rec["TITLE"])
}

func (b *bulkBench) outcome(t *testing.T, bulkID int64, deal int) (string, string) {
	t.Helper()
	recs, err := db.BulkRecords(b.ctx, b.d.Bun, b.portal, bulkID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.EntityID == int64(deal) {
			return r.Outcome, r.Reason
		}
	}
	t.Fatalf("deal %d is not in bulk revert %d", deal, bulkID)
	return "", ""
}

// A deal someone else retitled after the selected change is not written:
// it is counted before the start and reported as a conflict; the others
// are put back.
func TestBulkRevertSkipsConflicts(t *testing.T) {
	t.Parallel()
	b := newBulkBench(t)
	b.edit(t, 2, b.p.AdminID(), "Fixed by hand")
	f, err := revert.BulkFilter(2, b.from, b.to, crm.Deal, "TITLE")
	if err != nil {
		t.Fatal(err)
	}
	s := b.service(true)
	n, err := s.Count(b.ctx, b.portal, f)
	if err != nil || n != (db.BulkCount{Records: 3, Changes: 3, Conflicts: 1}) {
		t.Fatalf("count = %+v, %v; want 3 records, 3 changes, 1 conflict", n, err)
	}
	bk, err := s.Start(b.ctx, b.admin(t), f)
	if err != nil {
		t.Fatal(err)
	}
	b.completed(t, BulkRevertArgs{}.Kind(), "")
	for _, deal := range []int{1, 3} {
		if got := b.title(t, deal); got != b.titles[deal] {
			t.Errorf("deal %d: %q, want %q back", deal, got, b.titles[deal])
		}
		if out, _ := b.outcome(t, bk.ID, deal); out != db.BulkRestored {
			t.Errorf("deal %d: %s, want restored", deal, out)
		}
	}
	if got := b.title(t, 2); got != "Fixed by hand" {
		t.Errorf("deal 2, changed again since, is %q", got)
	}
	if out, reason := b.outcome(t, bk.ID, 2); out != db.BulkConflict || reason != revert.ReasonChanged {
		t.Errorf("deal 2: %s (%s), want a conflict", out, reason)
	}
	if _, err := s.Start(b.ctx, b.admin(t), f); err != nil {
		t.Errorf("a second bulk revert once the first is done: %v", err)
	}
}

// A job whose token the portal no longer takes writes nothing and pauses;
// the administrator's next look at its progress, with a fresh token,
// resumes it, and it finishes.
func TestBulkRevertPausesForATokenAndResumes(t *testing.T) {
	t.Parallel()
	b := newBulkBench(t)
	f, err := revert.BulkFilter(2, b.from, b.to, crm.Deal, "")
	if err != nil {
		t.Fatal(err)
	}
	s := b.service(false)
	bk, err := s.Start(b.ctx, b.admin(t), f)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(b.ctx, b.admin(t), f); !errors.Is(err, revert.ErrBulkRunning) {
		t.Errorf("a second bulk revert while one runs: %v, want ErrBulkRunning", err)
	}
	b.p.ExpireTokens()
	b.done(t, BulkRevertArgs{PortalID: b.portal, BulkID: bk.ID})
	got, err := db.BulkRevertByID(b.ctx, b.d.Bun, b.portal, bk.ID)
	if err != nil || got.State != db.BulkPaused || got.PausedWhy != revert.PausedToken || got.Token != nil {
		t.Fatalf("after a refused token: %+v, %v; want paused for the token, none kept", got, err)
	}
	if title := b.title(t, 1); title != "Mistake 1" {
		t.Fatalf("deal 1 written with a refused token: %q", title)
	}

	// Someone else's look changes nothing.
	other := b.admin(t)
	other.UserID = 2
	if r, err := b.service(true).Progress(b.ctx, other, bk.ID); err != nil || r.State != db.BulkPaused {
		t.Fatalf("another user's look: %+v, %v", r, err)
	}
	r, err := b.service(true).Progress(b.ctx, b.admin(t), bk.ID)
	if err != nil || r.State != db.BulkRunning {
		t.Fatalf("the administrator's look: %+v, %v; want running", r, err)
	}
	b.completed(t, BulkRevertArgs{}.Kind(), "")
	for deal := 1; deal <= 3; deal++ {
		if got := b.title(t, deal); got != b.titles[deal] {
			t.Errorf("deal %d: %q, want %q back", deal, got, b.titles[deal])
		}
	}
	if r, err := b.service(false).Progress(b.ctx, b.admin(t), bk.ID); err != nil || r.State != db.BulkDone || r.Restored != 3 || r.Done != 3 {
		t.Errorf("report: %+v %+v, %v; want done, 3 restored", r.BulkRevert, r.BulkTally, err)
	}
}

// Any administrator may stop a bulk revert (one paused for its starter's
// token would otherwise keep the portal from starting another): records
// not reached are reported skipped, nothing is written, and the job, if it
// runs still, does nothing.
func TestBulkRevertStopped(t *testing.T) {
	t.Parallel()
	b := newBulkBench(t)
	f, err := revert.BulkFilter(2, b.from, b.to, 0, "")
	if err != nil {
		t.Fatal(err)
	}
	s := b.service(false)
	bk, err := s.Start(b.ctx, b.admin(t), f)
	if err != nil {
		t.Fatal(err)
	}
	other := b.admin(t)
	other.UserID, other.Token = 3, ""
	r, err := s.Stop(b.ctx, other, bk.ID)
	if err != nil || r.State != db.BulkDone || r.Skipped != 3 || r.Restored != 0 {
		t.Fatalf("stopped: %+v %+v, %v; want done, 3 skipped", r.BulkRevert, r.BulkTally, err)
	}
	if _, reason := b.outcome(t, bk.ID, 1); reason != "stopped" {
		t.Errorf("deal 1 skipped for %q, want stopped", reason)
	}
	b.done(t, BulkRevertArgs{PortalID: b.portal, BulkID: bk.ID})
	for deal := 1; deal <= 3; deal++ {
		if got := b.title(t, deal); got != fmt.Sprintf("Mistake %d", deal) {
			t.Errorf("deal %d written by a stopped bulk revert: %q", deal, got)
		}
	}
	if _, err := s.Start(b.ctx, b.admin(t), f); err != nil {
		t.Errorf("a new bulk revert once one is stopped: %v", err)
	}
}
