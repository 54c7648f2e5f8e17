package trailtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
)

var (
	trailOnce sync.Once
	trailBin  string
	trailErr  error
)

// Binary builds the trail command once per test binary and returns its
// path, for tests that run Trail in processes of its own.
func Binary(tb testing.TB) string {
	tb.Helper()
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
		tb.Fatal(trailErr)
	}
	return trailBin
}

// Worker is `trail work` in a process of its own, pointed at the stack's
// database, emulator and HTTP server.
type Worker struct {
	cmd  *exec.Cmd
	done chan error
}

// StartWorker starts a worker process named id (WORKER_ID); it stops when
// the test ends.
func (s *Stack) StartWorker(tb testing.TB, id string) *Worker {
	tb.Helper()
	cmd := exec.Command(Binary(tb), "work")
	cmd.Env = append(os.Environ(),
		"APP_ENV=development", "DATABASE_URL="+s.Config.DatabaseURL,
		"DIRECT_DATABASE_URL="+s.Config.DirectDatabaseURL, "BASE_URL="+s.Base,
		"B24_CLIENT_ID="+s.Config.ClientID, "B24_CLIENT_SECRET="+s.Config.ClientSecret, "B24_OAUTH_URL="+s.Config.OAuthURL,
		"ENCRYPTION_KEY="+s.Key, "WORKER_ID="+id, "LOG_FORMAT=text", "LOG_LEVEL=warn", "DB_MAX_CONNS=10",
	)
	cmd.Stdout, cmd.Stderr = testWriter{tb}, testWriter{tb}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	w := &Worker{cmd: cmd, done: make(chan error, 1)}
	go func() { w.done <- cmd.Wait() }()
	tb.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); <-w.done })
	return w
}

// Kill kills the worker process at once, as a crash would.
func (w *Worker) Kill(tb testing.TB) {
	tb.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		tb.Fatal(err)
	}
	<-w.done
	w.done <- nil // for the cleanup
}
