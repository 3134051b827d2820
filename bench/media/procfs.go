package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat (100 on every Linux
// this runs on; Go has no sysconf).
const clockTicks = 100

// procCPU is the CPU time (user + system) process pid has used so far. pid 0 is this process.
func procCPU(pid int) (time.Duration, error) {
	p := "/proc/self/stat"
	if pid != 0 {
		p = fmt.Sprintf("/proc/%d/stat", pid)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces and parentheses: fields count from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: no ')'", p)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("%s: short", p)
	}
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%s: bad utime/stime", p)
	}
	return time.Duration(ut+st) * time.Second / clockTicks, nil
}

// procRSS is the resident set size of process pid in KiB (VmRSS).
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// loadAvg is the first three fields of /proc/loadavg (1, 5, 15 minutes).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// cpuMeter turns two readings of a process's CPU time into a percentage of one core.
type cpuMeter struct {
	pid  int
	t0   time.Time
	cpu0 time.Duration
}

func startCPU(pid int) cpuMeter {
	c, _ := procCPU(pid)
	return cpuMeter{pid: pid, t0: time.Now(), cpu0: c}
}

// percent is the CPU used since startCPU, in % of one core (-1 if the process is gone).
func (m cpuMeter) percent() float64 {
	c, err := procCPU(m.pid)
	if err != nil {
		return -1
	}
	return 100 * float64(c-m.cpu0) / float64(time.Since(m.t0))
}
