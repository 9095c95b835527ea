package scenarios

import (
	"embed"
	"io/fs"
	"slices"
	"strings"
)

// files holds the scenarios shipped in the binary, so that
// `go run ./cmd/multipaxos-kv` works from any directory.
//
//go:embed *.toml
var files embed.FS

// Names returns the names of the embedded scenarios (file names without
// ".toml"), sorted.
func Names() []string {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		panic("scenarios: reading the embedded files: " + err.Error()) // cannot happen with embed.FS
	}
	var names []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".toml"); ok && !e.IsDir() {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Embedded returns the TOML text of the embedded scenario name, and whether
// there is one.
func Embedded(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, `/\`) || !fs.ValidPath(name+".toml") {
		return nil, false
	}
	data, err := files.ReadFile(name + ".toml")
	if err != nil {
		return nil, false
	}
	return data, true
}

// embeddedFile is how errors name the file of an embedded scenario: its path
// in the source tree, where a user can read and copy it.
func embeddedFile(name string) string {
	return "scenarios/" + name + ".toml"
}
