package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFromBuildInfo(t *testing.T) {
	in := fromBuildInfo(nil, false)
	assert.Equal(t, "(devel)", in.Version)
	assert.Equal(t, "unknown", in.Revision)
	assert.True(t, strings.HasPrefix(in.String(), "multipaxos-kv (devel) revision unknown go"), in.String())

	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"},
	}}
	assert.Equal(t, "multipaxos-kv v1.2.3 revision abc123 (2026-01-02T03:04:05Z) (modified) go1.26.8", fromBuildInfo(bi, true).String())

	assert.NotContains(t, String(), "\n", "one line")
}
