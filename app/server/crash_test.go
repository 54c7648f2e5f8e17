package server_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/trailhq/trail/app/b24/b24test"
)

var (
	trailOnce sync.Once
	trailBin  string
	trailErr  error
)

// trailBinary builds the trail command once per test binary.
func trailBinary(t *testing.T) string {
	t.Helper()
	trailOnce.Do(func() {
		dir, err := os.MkdirTemp("", "trail-bin-")
		if err != nil {
			trailErr = err
			return
		}
		trailBin = filepath.Join(dir, "trail")
		out, err := exec.Command("go", "build", "-o", trailBin, "github.com/trailhq/trail").CombinedOutput()
		if err != nil {
			trailErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if trailErr != nil {
		t.Fatal(trailErr)
	}
	return trailBin
}

// worker is `trail work` in its own process, pointed at the stack's
// database, emulator and HTTP server.
type worker struct {
	cmd  *exec.Cmd
	done chan error
}

func (s *stack) startWorker(t *testing.T, id string) *worker {
	t.Helper()
	cmd := exec.Command(trailBinary(t), "work")
	cmd.Env = append(os.Environ(),
		"APP_ENV=development", "DATABASE_URL="+s.cfg.DatabaseURL, "BASE_URL="+s.base,
		"B24_CLIENT_ID="+s.cfg.ClientID, "B24_CLIENT_SECRET="+s.cfg.ClientSecret, "B24_OAUTH_URL="+s.cfg.OAuthURL,
		"ENCRYPTION_KEY="+s.key, "WORKER_ID="+id, "LOG_FORMAT=text", "LOG_LEVEL=warn", "DB_MAX_CONNS=10",
	)
	cmd.Stdout, cmd.Stderr = testWriter{t}, testWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w := &worker{cmd: cmd, done: make(chan error, 1)}
	go func() { w.done <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); <-w.done })
	return w
}

func (w *worker) kill(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-w.done
	w.done <- nil // for the cleanup
}

// TestWorkerKilledMidDrain kills the worker process while a drain waits on
// a slow portal, lets events arrive while no worker runs, and starts the
// worker again: every accepted change is recorded exactly once, and the
// drain the dead worker held does not keep the portal waiting for River's
// rescuer.
func TestWorkerKilledMidDrain(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, b24test.Options{Portals: 1, Deals: 20, Seed: 11}, stackOpts{NoWorkers: true})
	p := s.emu.Portals()[0]
	w := s.startWorker(t, "worker-crash-test")
	if _, err := p.Install(); err != nil {
		t.Fatal(err)
	}
	id := s.installed(t, p)

	// Every call now takes long enough that the drain is surely in flight.
	p.SetFaults(b24test.Faults{Delay: 3 * time.Second})
	change := func(deal int) {
		if err := p.UpdateRecord("deal", deal, p.AdminID(), map[string]any{"TITLE": fmt.Sprintf("crash test %d", deal)}); err != nil {
			t.Fatal(err)
		}
	}
	for deal := 1; deal <= 5; deal++ {
		change(deal)
	}
	eventually(t, "a drain in flight", func() bool {
		return s.count(t, "SELECT count(*) FROM river_job WHERE kind = 'drain_inbox' AND state = 'running'") == 1
	})
	w.kill(t)

	// Events keep arriving while no worker runs: the web process takes them.
	for deal := 6; deal <= 10; deal++ {
		change(deal)
	}
	if _, err := p.WaitDeliveries(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	if n := s.count(t, "SELECT count(*) FROM river_job WHERE kind = 'drain_inbox' AND state = 'running'"); n != 1 {
		t.Fatalf("%d drains left running by the killed worker, want 1", n)
	}

	p.SetFaults(b24test.Faults{})
	s.startWorker(t, "worker-crash-test")
	eventually(t, "every change recorded", func() bool {
		return s.count(t, `SELECT count(DISTINCT entity_id) FROM history WHERE portal_id = $1 AND field = 'TITLE'
			AND new_value->>'text' LIKE 'crash test %'`, id) == 10
	})
	if n := s.count(t, `SELECT count(*) FROM history WHERE portal_id = $1 AND field = 'TITLE'`, id); n != 10 {
		t.Errorf("%d TITLE history rows for 10 changes", n)
	}
	eventually(t, "empty inbox", func() bool {
		return s.count(t, "SELECT count(*) FROM inbox WHERE portal_id = $1", id) == 0
	})
}
