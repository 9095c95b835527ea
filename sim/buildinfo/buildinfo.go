// Package buildinfo names the build of the running binary: the module
// version and the VCS revision that Go records in it, for `multipaxos-kv
// version` and for the files a run writes.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Info is what the binary knows about its build.
type Info struct {
	Version  string // module version: "v1.2.3", or "(devel)" for a build from a work tree
	Revision string // VCS revision, "unknown" when not recorded (go run, go test, no VCS)
	Time     string // the revision's commit time, "" when not recorded
	Modified bool   // the work tree had uncommitted changes
	Go       string // the Go version that built the binary
}

// Read returns the binary's build information; fields Go does not record
// get "(devel)" or "unknown".
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	return fromBuildInfo(bi, ok)
}

func fromBuildInfo(bi *debug.BuildInfo, ok bool) Info {
	in := Info{Version: "(devel)", Revision: "unknown", Go: runtime.Version()}
	if !ok || bi == nil {
		return in
	}
	if v := bi.Main.Version; v != "" {
		in.Version = v
	}
	if bi.GoVersion != "" {
		in.Go = bi.GoVersion
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if s.Value != "" {
				in.Revision = s.Value
			}
		case "vcs.time":
			in.Time = s.Value
		case "vcs.modified":
			in.Modified = s.Value == "true"
		}
	}
	return in
}

// String is the build on one line, e.g.
// "multipaxos-kv (devel) revision 52a0ed1f... (modified) go1.26.8".
func (in Info) String() string {
	var b strings.Builder
	b.WriteString("multipaxos-kv ")
	b.WriteString(in.Version)
	b.WriteString(" revision ")
	b.WriteString(in.Revision)
	if in.Time != "" {
		b.WriteString(" (" + in.Time + ")")
	}
	if in.Modified {
		b.WriteString(" (modified)")
	}
	b.WriteString(" " + in.Go)
	return b.String()
}

// String is Read().String(): the running binary's build on one line.
func String() string { return Read().String() }
