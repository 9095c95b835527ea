// Package userfile reads the files a user names on the command line
// (scenarios, schedules) safely: only regular files, and at most a bounded
// number of bytes, so that /dev/zero, a FIFO or a huge file is refused at
// once instead of hanging or exhausting memory.
package userfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Read returns the contents of the regular file path, of at most limit
// bytes. Errors do not repeat the path (callers put it in front, with what
// the file is for) and are one line: "not a regular file (a named pipe)",
// "too large: 2097152 bytes (limit 1048576)", or the system's reason
// ("no such file or directory").
func Read(path string, limit int64) ([]byte, error) {
	// Stat before opening: opening a FIFO for reading blocks until a writer
	// comes, and reading a device may never end.
	st, err := os.Stat(path)
	if err != nil {
		return nil, bare(err)
	}
	if err := regular(st, limit); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, bare(err)
	}
	defer f.Close()
	// The path may have been replaced between the two calls: check what
	// was opened, too.
	if st, err = f.Stat(); err != nil {
		return nil, bare(err)
	}
	if err := regular(st, limit); err != nil {
		return nil, err
	}
	// limit+1 bytes tell a file that grew past the limit from one at it.
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, bare(err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("too large: more than %d bytes (limit %d)", limit, limit)
	}
	return data, nil
}

// regular refuses what is not a regular file of at most limit bytes.
func regular(st fs.FileInfo, limit int64) error {
	m := st.Mode()
	if !m.IsRegular() {
		return fmt.Errorf("not a regular file (%s); expected a file on disk", kind(m))
	}
	if st.Size() > limit {
		return fmt.Errorf("too large: %d bytes (limit %d)", st.Size(), limit)
	}
	return nil
}

// kind names a file mode that is not a regular file.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "mode " + m.String()
}

// bare drops the path and operation from a *fs.PathError: callers name the
// file themselves.
func bare(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
