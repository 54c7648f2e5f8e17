package trailtest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/db"
)

// Trail's state, read back in the words of the domain, so that tests say
// what they expect instead of how it is stored.

// Installed waits until the portal's installation is active, its types
// found and its baseline copied (every tracked CRM type synced), and
// returns its id.
func (s *Stack) Installed(tb testing.TB, p *b24test.Portal) int64 {
	tb.Helper()
	var id int64
	Eventually(tb, "installation of "+p.MemberID(), func() bool {
		in, err := db.InstallationByMemberID(context.Background(), s.DB.Bun, p.MemberID())
		if err != nil || in.Status != db.StatusActive {
			return false
		}
		id = in.ID
		return s.TypesFound(tb, id) && s.SyncsDone(tb, id) == len(s.Tracked(tb, id))
	})
	return id
}

// TypesFound reports whether setup has listed the portal's types.
func (s *Stack) TypesFound(tb testing.TB, portalID int64) bool {
	tb.Helper()
	raw, err := db.LoadMeta(context.Background(), s.DB.Bun, portalID, db.MetaTypes)
	if err != nil {
		tb.Fatalf("types of portal %d: %v", portalID, err)
	}
	return raw != nil
}

// Tracked are the types whose changes the portal's settings record.
func (s *Stack) Tracked(tb testing.TB, portalID int64) []crm.Type {
	tb.Helper()
	set, err := db.LoadSettings(context.Background(), s.DB.Bun, portalID)
	if err != nil {
		tb.Fatalf("settings of portal %d: %v", portalID, err)
	}
	return set.Tracked()
}

// FoundTypes are the types setup found on the portal, deleted ones too.
func (s *Stack) FoundTypes(tb testing.TB, portalID int64) []db.FoundType {
	tb.Helper()
	found, err := db.FoundTypes(context.Background(), s.DB.Bun, portalID)
	if err != nil {
		tb.Fatalf("types of portal %d: %v", portalID, err)
	}
	return found
}

// Installation is the portal's installation row.
func (s *Stack) Installation(tb testing.TB, p *b24test.Portal) *db.Installation {
	tb.Helper()
	in, err := db.InstallationByMemberID(context.Background(), s.DB.Bun, p.MemberID())
	if err != nil {
		tb.Fatalf("installation of %s: %v", p.MemberID(), err)
	}
	return in
}

// PortalID is the id of the portal's installation.
func (s *Stack) PortalID(tb testing.TB, p *b24test.Portal) int64 {
	tb.Helper()
	return s.Installation(tb, p).ID
}

// Settings are the portal's settings as stored.
func (s *Stack) Settings(tb testing.TB, portalID int64) *db.Settings {
	tb.Helper()
	var st db.Settings
	if err := s.DB.Bun.NewSelect().Model(&st).Where("portal_id = ?", portalID).Scan(context.Background()); err != nil {
		tb.Fatalf("settings of portal %d: %v", portalID, err)
	}
	return &st
}

// History is a record's history in the order it was recorded.
func (s *Stack) History(tb testing.TB, portalID int64, t crm.Type, id int64) []db.HistoryRow {
	tb.Helper()
	var rows []db.HistoryRow
	err := s.DB.Bun.NewSelect().Model(&rows).
		Where("portal_id = ? AND entity = ? AND entity_id = ?", portalID, t, id).
		Order("change_id", "seq").Scan(context.Background())
	if err != nil {
		tb.Fatalf("history of %s %d: %v", t, id, err)
	}
	return rows
}

// HistoryOf is every history row of the portal in the order it was
// recorded.
func (s *Stack) HistoryOf(tb testing.TB, portalID int64) []db.HistoryRow {
	tb.Helper()
	var rows []db.HistoryRow
	err := s.DB.Bun.NewSelect().Model(&rows).Where("portal_id = ?", portalID).
		Order("change_id", "seq").Scan(context.Background())
	if err != nil {
		tb.Fatalf("history of portal %d: %v", portalID, err)
	}
	return rows
}

// Snapshot is the stored state of a record, nil when there is none.
func (s *Stack) Snapshot(tb testing.TB, portalID int64, t crm.Type, id int64) *db.Snapshot {
	tb.Helper()
	var snaps []db.Snapshot
	err := s.DB.Bun.NewSelect().Model(&snaps).
		Where("portal_id = ? AND entity = ? AND entity_id = ?", portalID, t, id).Scan(context.Background())
	if err != nil {
		tb.Fatalf("snapshot of %s %d: %v", t, id, err)
	}
	if len(snaps) == 0 {
		return nil
	}
	return &snaps[0]
}

// InboxDepth is how many changes of the portal wait in the inbox.
func (s *Stack) InboxDepth(tb testing.TB, portalID int64) int {
	tb.Helper()
	n, err := s.DB.Bun.NewSelect().Model((*db.InboxRow)(nil)).Where("portal_id = ?", portalID).Count(context.Background())
	if err != nil {
		tb.Fatalf("inbox of portal %d: %v", portalID, err)
	}
	return int(n)
}

// Syncs are the portal's baseline copies, a CRM type each.
func (s *Stack) Syncs(tb testing.TB, portalID int64) []db.SyncState {
	tb.Helper()
	states, err := db.SyncStates(context.Background(), s.DB.Bun, portalID)
	if err != nil {
		tb.Fatalf("sync state of portal %d: %v", portalID, err)
	}
	return states
}

// SyncsDone is how many CRM types of the portal have their baseline
// copied, its extras phase (product rows, per-record links) included.
func (s *Stack) SyncsDone(tb testing.TB, portalID int64) int {
	tb.Helper()
	n := 0
	for _, st := range s.Syncs(tb, portalID) {
		if st.State == "done" && s.ExtrasDone(tb, portalID, st.Entity) {
			n++
		}
	}
	return n
}

// ExtrasDone reports whether the extras phase of a type's baseline is
// done (or the type has none).
func (s *Stack) ExtrasDone(tb testing.TB, portalID int64, t crm.Type) bool {
	tb.Helper()
	states, err := db.ExtrasStates(context.Background(), s.DB.Bun, portalID)
	if err != nil {
		tb.Fatalf("extras state of portal %d: %v", portalID, err)
	}
	for _, st := range states {
		if st.Entity == t {
			return st.State == db.SyncDone
		}
	}
	return true
}

// Copied is how many CRM types of the portal were copied to the end
// (done, done == total, something copied) by a copy started after since.
func (s *Stack) Copied(tb testing.TB, portalID int64, since time.Time) int {
	tb.Helper()
	n := 0
	for _, st := range s.Syncs(tb, portalID) {
		if st.State == "done" && st.Done == st.Total && st.Done > 0 && st.StartedAt != nil && st.StartedAt.After(since) {
			n++
		}
	}
	return n
}

// LatestSyncStart is when the portal's latest baseline copy started.
func (s *Stack) LatestSyncStart(tb testing.TB, portalID int64) time.Time {
	tb.Helper()
	var at time.Time
	for _, st := range s.Syncs(tb, portalID) {
		if st.StartedAt != nil && st.StartedAt.After(at) {
			at = *st.StartedAt
		}
	}
	return at
}

// LoseAccess marks the portal's installation as needing re-authorisation,
// as Trail does when the portal refuses its grant.
func (s *Stack) LoseAccess(tb testing.TB, portalID int64) {
	tb.Helper()
	if err := db.MarkReauth(context.Background(), s.DB.Bun, portalID); err != nil {
		tb.Fatal(err)
	}
}

// Unfinished are the states of a job that has yet to finish.
var Unfinished = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
	rivertype.JobStateRunning, rivertype.JobStateScheduled, rivertype.JobStateRetryable}

// Jobs are the jobs of A's kind in any of the states (all states when none
// is given), oldest first, as River lists them, with their arguments.
func Jobs[A river.JobArgs](tb testing.TB, s *Stack, states ...rivertype.JobState) []*river.Job[A] {
	tb.Helper()
	c, err := river.NewClient(riverpgxv5.New(s.DB.Pool), &river.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	var args A
	params := river.NewJobListParams().Kinds(args.Kind()).First(10000)
	if len(states) > 0 {
		params = params.States(states...)
	}
	res, err := c.JobList(context.Background(), params)
	if err != nil {
		tb.Fatalf("jobs of kind %s: %v", args.Kind(), err)
	}
	out := make([]*river.Job[A], 0, len(res.Jobs))
	for _, row := range res.Jobs {
		j := &river.Job[A]{JobRow: row}
		if err := json.Unmarshal(row.EncodedArgs, &j.Args); err != nil {
			tb.Fatalf("job %d: %v", row.ID, err)
		}
		out = append(out, j)
	}
	return out
}

// Job is the job with the id, as River reports it.
func (s *Stack) Job(tb testing.TB, id int64) *rivertype.JobRow {
	tb.Helper()
	c, err := river.NewClient(riverpgxv5.New(s.DB.Pool), &river.Config{})
	if err != nil {
		tb.Fatal(err)
	}
	j, err := c.JobGet(context.Background(), id)
	if err != nil {
		tb.Fatalf("job %d: %v", id, err)
	}
	return j
}

// Count runs a count query: for what no helper above reads.
func (s *Stack) Count(tb testing.TB, q string, args ...any) int {
	tb.Helper()
	var n int
	if err := s.DB.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}

// Sessions is how many sessions Trail keeps.
func (s *Stack) Sessions(tb testing.TB) int {
	tb.Helper()
	return s.Count(tb, "SELECT count(*) FROM sessions")
}

// ForgetSessions drops every session, as if each had expired.
func (s *Stack) ForgetSessions(tb testing.TB) {
	tb.Helper()
	if _, err := s.DB.Pool.Exec(context.Background(), "DELETE FROM sessions"); err != nil {
		tb.Fatal(err)
	}
}

// ByField is how many of the rows changed the field.
func ByField(rows []db.HistoryRow, field string) int {
	n := 0
	for _, r := range rows {
		if r.Field == field {
			n++
		}
	}
	return n
}

// ByAuthor is how many of the rows the user made.
func ByAuthor(rows []db.HistoryRow, userID int64) int {
	n := 0
	for _, r := range rows {
		if r.AuthorID != nil && *r.AuthorID == userID {
			n++
		}
	}
	return n
}

// InstallationOf is the installation row with the id.
func (s *Stack) InstallationOf(tb testing.TB, portalID int64) *db.Installation {
	tb.Helper()
	in, err := db.InstallationByID(context.Background(), s.DB.Bun, portalID)
	if err != nil {
		tb.Fatalf("installation %d: %v", portalID, err)
	}
	return in
}

// Snapshots is how many records of the portal Trail keeps the state of,
// of the given CRM types (all when none is given).
func (s *Stack) Snapshots(tb testing.TB, portalID int64, types ...crm.Type) int {
	tb.Helper()
	q := s.DB.Bun.NewSelect().Model((*db.Snapshot)(nil)).Where("portal_id = ?", portalID)
	if len(types) > 0 {
		q = q.Where("entity IN (?)", bun.List(types))
	}
	n, err := q.Count(context.Background())
	if err != nil {
		tb.Fatalf("snapshots of portal %d: %v", portalID, err)
	}
	return int(n)
}

// APICalls is how many calls of the method the portal's API log holds.
func (s *Stack) APICalls(tb testing.TB, portalID int64, method string) int {
	tb.Helper()
	n, err := s.DB.Bun.NewSelect().Model((*db.APICall)(nil)).Where("portal_id = ? AND method = ?", portalID, method).Count(context.Background())
	if err != nil {
		tb.Fatalf("API log of portal %d: %v", portalID, err)
	}
	return int(n)
}

// Text is the text of a stored value, "" when it has none.
func Text(v json.RawMessage) string {
	var x struct{ Text string }
	_ = json.Unmarshal(v, &x)
	return x.Text
}

// Installations are every installation Trail keeps, of any portal, in the
// order they were made: for checks that nothing appeared or changed.
func (s *Stack) Installations(tb testing.TB) []db.Installation {
	tb.Helper()
	var all []db.Installation
	if err := s.DB.Bun.NewSelect().Model(&all).Order("id").Scan(context.Background()); err != nil {
		tb.Fatalf("installations: %v", err)
	}
	return all
}
