// Package files stores the files vionet serves (pictures now, recordings later) under keys
// like "pictures/<appid>/<id>.jpg". Local is the default store, a directory on disk; an
// S3-compatible store will implement the same methods.
package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrBadKey is returned for keys that could escape the store's root.
var ErrBadKey = errors.New("files: invalid key")

// Local keeps files in a directory.
type Local struct{ root string }

// NewLocal returns a store rooted at dir, creating it if needed.
func NewLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	return &Local{root: dir}, nil
}

// path maps a key to a file name, refusing anything but clean relative slash paths.
func (l *Local) path(key string) (string, error) {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") || strings.Contains(key, "\x00") {
		return "", ErrBadKey
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", ErrBadKey
		}
	}
	return filepath.Join(l.root, filepath.FromSlash(key)), nil
}

// Put writes data under key atomically: readers see the old file or the whole new one, never
// a half-written one.
func (l *Local) Put(_ context.Context, key string, data []byte) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return fmt.Errorf("files: %w", err)
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("files: put %s: %w", key, err)
	}
	return nil
}

// Delete removes key; a missing file is not an error.
func (l *Local) Delete(_ context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("files: delete %s: %w", key, err)
	}
	return nil
}

// File is an open stored file.
type File interface {
	io.ReadSeekCloser
}

// Open opens key for reading; errors wrap os.ErrNotExist for missing files.
func (l *Local) Open(_ context.Context, key string) (File, time.Time, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, time.Time{}, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, time.Time{}, err
	}
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		f.Close()
		return nil, time.Time{}, os.ErrNotExist
	}
	return f, st.ModTime(), nil
}

// Exists reports whether key holds a file.
func (l *Local) Exists(_ context.Context, key string) bool {
	p, err := l.path(key)
	if err != nil {
		return false
	}
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Path returns the local file name of key (for packages that write files themselves, such
// as the recorder).
func (l *Local) Path(key string) (string, error) { return l.path(key) }
