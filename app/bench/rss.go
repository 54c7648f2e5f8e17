package bench

import (
	"bufio"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
)

// peakRSS collects the peak resident set size (VmHWM) of Trail's child
// processes, read from /proc just before they are told to stop. A nil
// *peakRSS collects nothing.
type peakRSS struct {
	mu sync.Mutex
	mb map[string]float64
}

func (r *peakRSS) read(name string, pid int) {
	if r == nil {
		return
	}
	kb, err := vmHWM(pid)
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.mb == nil {
		r.mb = map[string]float64{}
	}
	r.mb[name] = round2(float64(kb) / 1024)
}

// peaks returns the figures read, in MiB by process name.
func (r *peakRSS) peaks() map[string]float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.mb)
}

// vmHWM reads a process's peak resident set size in KiB (Linux only).
func vmHWM(pid int) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, os.ErrNotExist
}
