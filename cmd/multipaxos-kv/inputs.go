package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios"
	"github.com/multipaxos-kv/multipaxos-kv/scenarios/userfile"
)

// Limits of the command line, beside the scenario's (scenarios.Max*). The
// README's "Limits" section lists them all.
const (
	// maxScheduleSize bounds a schedule file read by replay: a run of a
	// million events (the default max_events) writes about 60 MB.
	maxScheduleSize = 128 << 20
	// maxTraceSize bounds a JSON trace read by diff: a run writes about
	// 400 bytes of it per event, so some 650000 events.
	maxTraceSize = 256 << 20
	// maxWorkers bounds sweep -workers.
	maxWorkers = 1024
	// defaultKeep is sweep's default -keep: files for at most this many
	// failing seeds, so that a sweep where everything fails does not write
	// thousands of files.
	defaultKeep = 20
)

// readUserFile reads a file the user named (what says what it is for:
// "scenario", "schedule"): only a regular file, of at most limit bytes.
// Every command that reads a user's file goes through it (the scenarios
// package reads scenario files with the same internal/userfile.Read).
func readUserFile(path, what string, limit int64) ([]byte, error) {
	data, err := userfile.Read(path, limit)
	if err != nil {
		return nil, usageError{fmt.Errorf("%s: cannot read the %s: %v", path, what, err)}
	}
	return data, nil
}

// seedValue is a -seed flag: an integer in 0..scenarios.MaxSeed, the one
// range of seeds everywhere (TOML integers are signed 64-bit).
type seedValue struct{ v *uint64 }

func (s seedValue) String() string {
	if s.v == nil {
		return "0"
	}
	return strconv.FormatUint(*s.v, 10)
}

func (s seedValue) Set(text string) error {
	n, err := scenarios.ParseSeed(text)
	if err != nil {
		return fmt.Errorf("seeds are integers 0..%d", uint64(scenarios.MaxSeed))
	}
	*s.v = n
	return nil
}

// output is an output flag and the path it names.
type output struct{ flag, path string }

// checkOutputs makes sure, before any run, that every named output can be
// written: a typo in a directory costs no run. A file that does not exist
// yet is created and removed again; an existing regular file is opened for
// writing (not truncated); an existing device or pipe (/dev/stdout, a
// process substitution) is taken as it is.
func checkOutputs(outs ...output) error {
	for _, o := range outs {
		if o.path == "" {
			continue
		}
		if err := checkOutput(o.path); err != nil {
			return usageError{fmt.Errorf("-%s %s: %v", o.flag, o.path, err)}
		}
	}
	return nil
}

func checkOutput(path string) error {
	st, err := os.Stat(path)
	switch {
	case err == nil && st.IsDir():
		return errors.New("is a directory, expected a file to write")
	case err == nil && !st.Mode().IsRegular():
		return nil
	case err == nil:
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("cannot write: %v", bare(err))
		}
		return f.Close()
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("cannot write: %v", bare(err))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("cannot create: %v", bare(err))
	}
	f.Close()
	return os.Remove(path)
}

// checkOutputDir makes sure that files can be written in dir, before the
// run: an existing directory gets a probe file written and removed; a
// missing one is created, probed and removed again (the sweep creates it
// when it has a failure to write).
func checkOutputDir(flagName, dir string) error {
	fail := func(err error) error { return usageError{fmt.Errorf("-%s %s: %v", flagName, dir, err)} }
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return fail(errors.New("not a directory"))
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fail(bare(err))
	}
	var created []string // the directories this check creates, deepest first
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil || filepath.Dir(p) == p {
			break
		}
		created = append(created, p)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(fmt.Errorf("cannot create the directory: %v", bare(err)))
	}
	defer func() {
		for _, p := range created {
			os.Remove(p) // only empty directories: never anything else
		}
	}()
	f, err := os.CreateTemp(dir, ".multipaxos-kv-probe-*")
	if err != nil {
		return fail(fmt.Errorf("cannot write in the directory: %v", bare(err)))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// bare drops the operation and path of a *fs.PathError: the message names
// the path already.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
