package loadtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cpuMeter is where a phase began: the CPU the server and PostgreSQL had used then.
type cpuMeter struct {
	server           int // 0: none
	serverCPU, dbCPU time.Duration
}

func startCPU(server int) cpuMeter {
	if server <= 0 {
		return cpuMeter{}
	}
	return cpuMeter{server: server, serverCPU: procCPU(server), dbCPU: postgresCPU()}
}

// perRequest is the CPU used since the meter started, per request of n; nil without a server.
func (m cpuMeter) perRequest(n int) *CPUReport {
	if m.server <= 0 || n <= 0 {
		return nil
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	return &CPUReport{ServerMillis: per(procCPU(m.server) - m.serverCPU), DatabaseMillis: per(postgresCPU() - m.dbCPU)}
}

// postgresCPU is the CPU time every postgres process of this machine has used, with that of
// those that ended: a backend that exits (an idle connection closed, a parallel worker) leaves
// its time to the postmaster, which waited for it.
func postgresCPU() time.Duration {
	var total time.Duration
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, dir := range dirs {
		pid, _ := strconv.Atoi(filepath.Base(dir))
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(comm)) == "postgres" {
			own, ended := procTimes(pid)
			total += own + ended
		}
	}
	return total
}

// procCPU is the CPU time, user and system, a process on this machine has used; 0 when it
// cannot be read.
func procCPU(pid int) time.Duration {
	own, _ := procTimes(pid)
	return own
}

// procTimes is the CPU time, user and system, a process on this machine has used, and that
// of its children it waited for; 0 when it cannot be read. /proc counts in ticks of 1/100 s
// (USER_HZ) on every Linux.
func procTimes(pid int) (own, children time.Duration) {
	if pid <= 0 {
		return 0, 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	// The command name, in parentheses, may hold spaces: fields are counted after it.
	_, after, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(after)
	if len(f) < 15 {
		return 0, 0
	}
	ticks := func(i, j int) time.Duration {
		a, _ := strconv.ParseInt(f[i], 10, 64)
		b, _ := strconv.ParseInt(f[j], 10, 64)
		return time.Duration(a+b) * 10 * time.Millisecond
	}
	return ticks(11, 12), ticks(13, 14)
}
