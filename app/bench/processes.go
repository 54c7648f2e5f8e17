package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"github.com/trailhq/trail/app/config"
)

// processes says how the bench runs Trail: in the bench's own process,
// as one `trail all` child process of bin (all), or as one `trail serve`
// and work `trail work` child processes, as a deployment's web and worker
// process groups run it.
type processes struct {
	work int
	all  bool
	bin  string
	// peaks, when set, gets each child's peak resident set size.
	peaks *peakRSS
}

// children reports whether Trail runs in child processes.
func (p processes) children() bool { return p.all || p.work > 0 }

// parseProcesses reads --processes: "one", "all", or "serve+Nwork"
// ("serve+work" for one worker).
func parseProcesses(v string) (processes, error) {
	switch v {
	case "one":
		return processes{}, nil
	case "all":
		return processes{all: true}, nil
	}
	rest, ok := strings.CutPrefix(v, "serve+")
	count, ok2 := strings.CutSuffix(rest, "work")
	n := 1
	if count != "" {
		var err error
		if n, err = strconv.Atoi(count); err != nil {
			ok = false
		}
	}
	if !ok || !ok2 || n < 1 || n > 16 {
		return processes{}, fmt.Errorf(`--processes %q: want "one", "all" or "serve+Nwork" with N from 1 to 16, e.g. serve+2work`, v)
	}
	return processes{work: n}, nil
}

func (p processes) String() string {
	switch {
	case p.all:
		return "all"
	case p.work == 0:
		return "one"
	}
	return fmt.Sprintf("serve+%dwork", p.work)
}

// runner runs Trail's processes with the configuration devstack hands it
// (key is its ENCRYPTION_KEY entry) until ctx ends, then stops them as the
// platform does, with SIGTERM, and waits for them. A process that exits
// on its own stops the others, and the run fails.
func (p processes) runner(key string, logw io.Writer) func(context.Context, *config.Config, net.Listener) error {
	return func(ctx context.Context, cfg *config.Config, ln net.Listener) error {
		// `trail serve` listens on the port itself.
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		env := append(os.Environ(),
			"APP_ENV=development", "DATABASE_URL="+cfg.DatabaseURL, "DIRECT_DATABASE_URL="+cfg.DirectDatabaseURL,
			"BASE_URL="+cfg.BaseURL.String(), "PORT="+strconv.Itoa(port), "METRICS_PORT=",
			"B24_CLIENT_ID="+cfg.ClientID, "B24_CLIENT_SECRET="+cfg.ClientSecret, "B24_OAUTH_URL="+cfg.OAuthURL,
			"ENCRYPTION_KEY="+key, "DB_MAX_CONNS="+strconv.Itoa(int(cfg.DBMaxConns)),
			"LOG_FORMAT=text", "LOG_LEVEL="+cfg.LogLevel,
		)
		if cfg.OperatingBudget > 0 {
			env = append(env, "B24_OPERATING_BUDGET="+cfg.OperatingBudget.String())
		}
		cmds := []*exec.Cmd{exec.Command(p.bin, map[bool]string{true: "all", false: "serve"}[p.all])}
		cmds[0].Env = env
		for i := range p.work {
			c := exec.Command(p.bin, "work")
			c.Env = append(env[:len(env):len(env)], "WORKER_ID=bench-work-"+strconv.Itoa(i+1))
			cmds = append(cmds, c)
		}
		type exit struct {
			name string
			err  error
		}
		logw := &lockedWriter{w: logw} // the children share it
		exits := make(chan exit, len(cmds))
		started := 0
		var err error
		for _, c := range cmds {
			c.Stdout, c.Stderr = logw, logw
			if err = c.Start(); err != nil {
				err = fmt.Errorf("start trail %s: %w", c.Args[1], err)
				break
			}
			started++
			go func() { exits <- exit{c.Args[1], c.Wait()} }()
		}
		if err == nil {
			select {
			case <-ctx.Done():
			case e := <-exits:
				started--
				err = fmt.Errorf("trail %s exited: %v", e.name, e.err)
			}
		}
		for i, c := range cmds {
			if c.Process != nil { // one that has exited already ignores it
				p.peaks.read(processName(c, i), c.Process.Pid)
				_ = c.Process.Signal(syscall.SIGTERM)
			}
		}
		for range started {
			if e := <-exits; e.err != nil && err == nil {
				err = fmt.Errorf("trail %s: %w", e.name, e.err)
			}
		}
		return err
	}
}

// trailBinary is the trail command the child processes run: the one
// running the bench, unless --trail names another.
func trailBinary(flag string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	bin, err := os.Executable()
	if err != nil {
		return "", errors.New("--trail: cannot find the running trail command; name it")
	}
	return bin, nil
}

// processName names the i-th child in reports: "all", "serve", "work-1", ...
func processName(c *exec.Cmd, i int) string {
	if c.Args[1] == "work" {
		return "work-" + strconv.Itoa(i)
	}
	return c.Args[1]
}
