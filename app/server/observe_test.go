package server_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db"
)

// TestObservability runs an install, edits by people and by automation, a
// token expiry and an uninstall with Trail logging at debug level, then
// checks that no token reached the log, that every log line about a portal
// names its member_id, and that /metrics has the pipeline's series with
// no portal among the labels.
func TestObservability(t *testing.T) {
	t.Parallel()
	var logs trailtest.Buffer
	s := newStack(t, trailtest.Options{Emulator: b24test.Options{Portals: 1, Deals: 10, Seed: 13}, Log: &logs, LogLevel: slog.LevelDebug})
	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	editor := p.UserIDs()[1]
	if err := p.UpdateRecord("deal", 1, editor, map[string]any{"TITLE": "Edited by a person"}); err != nil {
		t.Fatal(err)
	}
	p.ExpireTokens()
	if err := p.UpdateRecord("deal", 2, b24test.Automation, map[string]any{"TITLE": "Edited by a robot"}); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "both edits recorded", func() bool {
		return trailtest.ByField(s.HistoryOf(t, id), "TITLE") == 2
	})
	if s.post(t, "/bitrix/events", crmEvent(p, p.MemberID(), "0123456789abcdef0123456789abcdef", 3)) != 401 {
		t.Error("a wrong application token was not refused")
	}

	// Every token Trail was given or holds.
	secrets := map[string]string{"application token": p.ApplicationToken()}
	for _, d := range p.Deliveries() {
		for k, v := range d.Body {
			if strings.Contains(k, "token") && v[0] != "" {
				secrets[k] = v[0]
			}
		}
	}
	in := s.InstallationOf(t, id)
	for col, sealed := range map[string][]byte{"access_token": in.AccessToken, "refresh_token": in.RefreshToken} {
		plain, err := s.Config.Keys.Open(sealed, db.TokenAD(p.MemberID(), col))
		if err != nil {
			t.Fatalf("open stored %s: %v", col, err)
		}
		secrets["stored "+col] = string(plain)
	}
	if len(secrets) < 5 {
		t.Fatalf("only %d tokens to look for: %v", len(secrets), keys(secrets))
	}

	// Job runs are counted as their workers return, a moment after their
	// rows commit: read /metrics until every series is there.
	var metricsText string
	var missing []string
	for deadline := time.Now().Add(10 * time.Second); ; {
		status, text := get(t, s.Metrics+"/metrics")
		if status != 200 {
			t.Fatalf("/metrics: %d", status)
		}
		metricsText, missing = text, nil
		for _, series := range wantSeries {
			if !strings.Contains(text, series) {
				missing = append(missing, series)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, series := range missing {
		t.Errorf("/metrics lacks %s", series)
	}
	if status, _ := get(t, s.Base+"/metrics"); status != 404 {
		t.Errorf("/metrics on the public port = %d, want 404", status)
	}
	if err := p.Uninstall(true); err != nil {
		t.Fatal(err)
	}
	trailtest.Eventually(t, "purge", func() bool {
		return s.InstallationOf(t, id).Status == db.StatusPurged
	})
	_ = s.Stop() // the log is complete once Trail has stopped

	out := logs.String()
	if !strings.Contains(out, p.MemberID()) {
		t.Fatal("the log never names the portal: nothing was captured")
	}
	for what, tok := range secrets {
		if strings.Contains(out, tok) {
			t.Errorf("the log holds the %s", what)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "portal_id=") && !strings.Contains(line, "member_id=") {
			t.Errorf("a line about a portal without its member_id: %s", line)
		}
	}

	for _, leak := range []string{p.MemberID(), p.Domain()} {
		if strings.Contains(metricsText, leak+`"`) || strings.Contains(metricsText, `="`+leak) {
			t.Errorf("/metrics labels name %q", leak)
		}
	}
}

// wantSeries are series an install, edits and a token expiry must leave.
var wantSeries = []string{
	`trail_events_received_total{result="accepted"}`,
	`trail_events_received_total{result="unauthorized"} 1`,
	`trail_jobs_total{kind="drain_inbox",outcome="completed",queue="events"}`,
	`trail_job_run_seconds_count{kind="setup_portal",queue="sync"}`,
	`trail_job_queue_wait_seconds_count{queue="events"}`,
	`trail_b24_requests_total{error="",family="batch",status="2xx"}`,
	`trail_b24_requests_total{error="token",`, // the expired token, refused once
	`trail_b24_token_refreshes_total{outcome="ok"}`,
	`trail_b24_request_seconds_count{family="event.get"}`,
	`trail_inbox_rows `,
	`trail_api_log_dropped_total 0`,
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
