//go:build unix

package userfile

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRead(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok")
	require.NoError(t, os.WriteFile(ok, []byte("hello"), 0o644))
	data, err := Read(ok, 5)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(data))

	_, err = Read(ok, 4)
	assert.EqualError(t, err, "too large: 5 bytes (limit 4)")

	big := filepath.Join(dir, "big")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(1<<40)) // sparse: costs no disk
	require.NoError(t, f.Close())
	_, err = Read(big, 1<<20)
	assert.EqualError(t, err, "too large: 1099511627776 bytes (limit 1048576)")

	_, err = Read(filepath.Join(dir, "missing"), 10)
	assert.EqualError(t, err, "no such file or directory")
	_, err = Read(dir, 10)
	assert.EqualError(t, err, "not a regular file (a directory); expected a file on disk")

	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	done := make(chan error, 1)
	go func() { _, err := Read(fifo, 10); done <- err }()
	select {
	case err := <-done:
		assert.EqualError(t, err, "not a regular file (a named pipe); expected a file on disk")
	case <-time.After(10 * time.Second):
		t.Fatal("reading a FIFO blocked")
	}

	_, err = Read("/dev/zero", 10)
	assert.EqualError(t, err, "not a regular file (a character device); expected a file on disk")
}
