package recorder

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/vionet/vionet/internal/media/hub"
)

// Recover finalizes the segments a crashed recorder left in dir: for each
// <start>.mp4.part it keeps the init and every complete fragment, truncates
// whatever follows the last one (a partial moof/mdat, a zero-filled tail),
// fsyncs it and renames it to <start>.mp4. Parts without a single complete
// fragment are deleted. It returns the recovered segments ordered by start,
// for the application to index, and an error joining the files it could not
// handle (those are left in place).
//
// Recover must run before any Recorder writes into dir: it would truncate
// the part a live recorder is writing.
func Recover(dir string) ([]Segment, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var segs []Segment
	var errs []error
	for _, e := range entries {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), partExt) {
			continue
		}
		seg, ok, err := recoverPart(filepath.Join(dir, e.Name()))
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			segs = append(segs, seg)
		}
	}
	if len(segs) > 0 {
		if err := syncDir(dir); err != nil {
			errs = append(errs, err)
		}
	}
	slices.SortFunc(segs, func(a, b Segment) int { return a.Start.Compare(b.Start) })
	return segs, errors.Join(errs...)
}

// recoverPart repairs one part file; ok reports whether it became a segment.
func recoverPart(path string) (seg Segment, ok bool, err error) {
	start, err := startFromName(path)
	if err != nil {
		return Segment{}, false, err // not a name the recorder writes: leave it
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return Segment{}, false, fmt.Errorf("recorder: recover: %w", err)
	}
	end, tracks, fi, err := completeFragments(f)
	if err != nil {
		f.Close()
		return Segment{}, false, fmt.Errorf("recorder: recover %s: %w", path, err)
	}
	if end == 0 {
		f.Close()
		if err := os.Remove(path); err != nil {
			return Segment{}, false, fmt.Errorf("recorder: recover: %w", err)
		}
		return Segment{}, false, nil
	}
	err = f.Truncate(end)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Segment{}, false, fmt.Errorf("recorder: recover %s: %w", path, err)
	}
	final := strings.TrimSuffix(path, ".part")
	if err := os.Rename(path, final); err != nil {
		return Segment{}, false, fmt.Errorf("recorder: recover: %w", err)
	}
	return describe(final, start, end, tracks, fi.end()), true, nil
}

// completeFragments returns the offset just after the last complete
// fragment (0 if there is none or the init is unreadable), the tracks and
// the timing of that fragment. Only I/O errors are returned: damage is
// what it is there to cut away.
func completeFragments(f *os.File) (int64, []hub.Track, fragmentInfo, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, nil, fragmentInfo{}, err
	}
	tracks, off, err := parseInit(f, st.Size())
	if err != nil {
		return 0, nil, fragmentInfo{}, nil
	}
	var last fragmentInfo
	var buf []byte
	good := int64(0)
	for {
		s, e, err := nextFragment(f, off, st.Size())
		if err != nil {
			break // io.EOF, ErrTruncated or ErrCorrupt: the damage starts here
		}
		if cap(buf) < int(e-s) {
			buf = make([]byte, e-s)
		}
		buf = buf[:e-s]
		if _, err := f.ReadAt(buf, s); err != nil && err != io.EOF {
			return 0, nil, fragmentInfo{}, err
		}
		_, fi, err := decodeFragment(buf, tracks, nil, false)
		if err != nil || fi.samples == 0 {
			break
		}
		last, good, off = fi, e, e
	}
	return good, tracks, last, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
