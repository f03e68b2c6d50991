package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// buildVersion describes this binary from what the Go toolchain recorded when it built it:
// the module's version ("(devel)" when built from a checkout), the commit and its date, and
// whether the checkout had uncommitted changes. A binary built outside a git checkout (the
// Docker image: its build context has no .git) knows no commit.
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "naptracker (no build information)\n"
	}
	vcs := map[string]string{}
	for _, s := range info.Settings {
		vcs[s.Key] = s.Value
	}
	commit, date := vcs["vcs.revision"], vcs["vcs.time"]
	if commit == "" {
		commit = "unknown"
	}
	if vcs["vcs.modified"] == "true" {
		commit += " (with uncommitted changes)"
	}
	if date == "" {
		date = "unknown"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "naptracker %s\n", info.Main.Version)
	fmt.Fprintf(&b, "commit  %s\n", commit)
	fmt.Fprintf(&b, "date    %s (the commit's)\n", date)
	fmt.Fprintf(&b, "go      %s %s/%s\n", info.GoVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}
