package bench

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/trailhq/trail/db"
)

// userHZ is the unit of /proc/<pid>/stat's CPU times on Linux.
const userHZ = 100

// cpuSample is the CPU time spent so far by this process (Trail, the
// emulator and the senders, or with --processes the bench and the
// emulator) and by each PostgreSQL backend serving the bench's database.
type cpuSample struct {
	self     time.Duration
	backends map[int]time.Duration
	children map[int]time.Duration // Trail's processes, with --processes
	xacts    int64                 // transactions committed in the bench's database
}

// sampleCPU reads the CPU times; a backend whose stat cannot be read (not
// on Linux, or on another machine) counts nothing.
func sampleCPU(ctx context.Context, d *db.DB) (cpuSample, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return cpuSample{}, err
	}
	c := cpuSample{self: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), backends: map[int]time.Duration{}, children: map[int]time.Duration{}}
	for _, pid := range childPIDs() {
		c.children[pid] = procCPU(pid)
	}
	// Backends report their counts when idle or every second or so; the
	// bench samples after history has caught up, when they have.
	if err := d.Pool.QueryRow(ctx, `SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()`).Scan(&c.xacts); err != nil {
		return cpuSample{}, err
	}
	rows, err := d.Pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return cpuSample{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			return cpuSample{}, err
		}
		c.backends[pid] = procCPU(pid)
	}
	return c, rows.Err()
}

// procCPU is a process's user and system time from /proc/<pid>/stat.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from the last ')'; utime and stime are fields 14 and 15.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * time.Second / userHZ
}

// childPIDs are the bench's child processes (Trail's, with --processes),
// from /proc's list of each thread's children; none where it cannot be
// read.
func childPIDs() []int {
	tasks, _ := os.ReadDir("/proc/self/task")
	var out []int
	for _, t := range tasks {
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/children")
		if err != nil {
			continue
		}
		for f := range strings.FieldsSeq(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil {
				out = append(out, pid)
			}
		}
	}
	return out
}

// spent is the CPU time spent between two samples.
type spent struct {
	self, trail, pg time.Duration
	xacts           int64
}

// since is the CPU time spent between an earlier sample and c: the
// bench's process, Trail's child processes and the database's backends
// (one that started in between counts whole, one that ended counts
// nothing).
func (c cpuSample) since(before cpuSample) spent {
	s := spent{self: c.self - before.self, xacts: c.xacts - before.xacts}
	for pid, t := range c.backends {
		s.pg += t - before.backends[pid]
	}
	for pid, t := range c.children {
		s.trail += t - before.children[pid]
	}
	return s
}
