package server_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/trailhq/trail/app/b24/b24test"
	"github.com/trailhq/trail/app/config"
	"github.com/trailhq/trail/app/crm"
	"github.com/trailhq/trail/app/trailtest"
	"github.com/trailhq/trail/db/dbtest"
)

// pgbPool is the PgBouncer pool size of the test: server connections per
// database, for three Trail processes of up to 10 connections each.
const pgbPool = 4

// TestBehindPgBouncer runs the web process and two worker processes behind
// PgBouncer in transaction mode, with River's listener on the direct URL:
// a portal installs, edits reach the history and the tab (a session), and
// PostgreSQL never sees more than the pool from them, plus one direct
// connection per worker.
func TestBehindPgBouncer(t *testing.T) {
	t.Parallel()
	direct := dbtest.NewURL(t)
	pooled := startPgBouncer(t, direct, pgbPool)
	// The worker's direct connections carry a name of their own, so that
	// PostgreSQL can count them.
	listen := withParam(t, direct, "application_name", "trail-direct")

	s := newStack(t, trailtest.Options{
		Emulator: b24test.Options{Portals: 1, Deals: 20, Seed: 5}, NoWorkers: true, DatabaseURL: direct,
		Config: func(c *config.Config) { c.DatabaseURL, c.DirectDatabaseURL = pooled, listen },
	})
	peak := watchConnections(t, pooled, direct)
	s.StartWorker(t, "pgbouncer-worker-1")
	s.StartWorker(t, "pgbouncer-worker-2")

	p := s.Emu.Portals()[0]
	id := s.Install(t, p)
	for deal := 1; deal <= 10; deal++ {
		if err := p.UpdateRecord("deal", deal, p.AdminID(), map[string]any{"TITLE": fmt.Sprintf("pooled %d", deal)}); err != nil {
			t.Fatal(err)
		}
	}
	trailtest.Eventually(t, "every edit in the history", func() bool {
		return trailtest.ByField(s.HistoryOf(t, id), "TITLE") >= 10
	})
	if n := trailtest.ByField(s.HistoryOf(t, id), "TITLE"); n != 10 {
		t.Errorf("%d TITLE history rows for 10 edits", n)
	}
	if n := len(s.History(t, id, crm.Deal, 3)); n != 1 {
		t.Errorf("deal 3 has %d history rows, want 1", n)
	}
	f, status, body := s.OpenTab(t, p, p.AdminID(), "CRM_DEAL_DETAIL_TAB", "3")
	if status != 200 || !strings.Contains(body, "pooled 3") {
		t.Fatalf("tab = %d, lacks the edit:\n%s", status, body)
	}
	if status, frag := f.Get("/tab/deal/3/entries"); status != 200 || !strings.Contains(frag, "pooled 3") {
		t.Errorf("entries with the session = %d %q", status, frag)
	}

	servers, directs := peak()
	if servers < 1 || servers > pgbPool {
		t.Errorf("PgBouncer held up to %d server connections, want 1..%d", servers, pgbPool)
	}
	if directs < 1 || directs > 2 {
		t.Errorf("up to %d direct connections from the workers, want 1..2 (River's listeners)", directs)
	}
}

// startPgBouncer starts PgBouncer in transaction mode with pool server
// connections per database in front of direct's server, with the
// project's own script, and returns direct's URL through it. It stops when
// the test ends.
func startPgBouncer(t *testing.T, direct string, pool int) string {
	t.Helper()
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	// A folder the postgres user can reach, which the script makes its own.
	dir, err := os.MkdirTemp("", "trail-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := func(verb string) *exec.Cmd {
		c := exec.Command("../../db/pgbouncer.sh", verb)
		c.Env = append(os.Environ(), "PGB_DIR="+dir, "PGB_PORT="+port, "PGB_POOL="+strconv.Itoa(pool), "PGB_UPSTREAM="+u.Host)
		return c
	}
	if out, err := cmd("start").CombinedOutput(); err != nil {
		t.Fatalf("PgBouncer did not start: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if out, err := cmd("stop").CombinedOutput(); err != nil {
			t.Errorf("PgBouncer did not stop: %v\n%s", err, out)
		}
		_ = os.RemoveAll(dir)
	})
	u.Host = "127.0.0.1:" + port
	return u.String()
}

// watchConnections samples, until the test ends, the server connections
// PgBouncer holds for pooled's database and the connections named
// trail-direct PostgreSQL has; peak returns the most of each seen so far.
func watchConnections(t *testing.T, pooled, direct string) (peak func() (servers, directs int)) {
	t.Helper()
	admin := withParam(t, pooled, "default_query_exec_mode", "simple_protocol")
	au, _ := url.Parse(admin)
	name := strings.TrimPrefix(mustParse(t, pooled).Path, "/")
	au.Path = "/pgbouncer"
	ctx, cancel := context.WithCancel(context.Background())
	bouncer, err := pgx.Connect(ctx, au.String())
	if err != nil {
		t.Fatal(err)
	}
	pg, err := pgx.Connect(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex // the connections and the peaks, for the watcher and peak
	var servers, directs int
	sample := func() error {
		mu.Lock()
		defer mu.Unlock()
		sv, err := bouncerServers(ctx, bouncer, name)
		if err != nil {
			return err
		}
		var dc int
		if err := pg.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'trail-direct'`, name).Scan(&dc); err != nil {
			return err
		}
		servers, directs = max(servers, sv), max(directs, dc)
		return nil
	}
	done := make(chan error, 1)
	go func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if err := sample(); err != nil {
				if ctx.Err() != nil {
					err = nil // the test has ended
				}
				done <- err
				return
			}
			select {
			case <-ctx.Done():
				done <- nil
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("watching connections: %v", err)
		}
		_ = bouncer.Close(context.Background())
		_ = pg.Close(context.Background())
	})
	return func() (int, int) {
		if err := sample(); err != nil {
			t.Fatalf("watching connections: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		return servers, directs
	}
}

// bouncerServers counts PgBouncer's server connections to database name,
// busy or idle, from its admin console.
func bouncerServers(ctx context.Context, conn *pgx.Conn, name string) (int, error) {
	rows, err := conn.Query(ctx, "SHOW SERVERS")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	col := -1
	for i, f := range rows.FieldDescriptions() {
		if f.Name == "database" {
			col = i
		}
	}
	if col < 0 {
		return 0, fmt.Errorf("SHOW SERVERS has no database column")
	}
	n := 0
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return 0, err
		}
		if fmt.Sprint(v[col]) == name {
			n++
		}
	}
	return n, rows.Err()
}

func withParam(t *testing.T, raw, key, value string) string {
	t.Helper()
	u := mustParse(t, raw)
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
