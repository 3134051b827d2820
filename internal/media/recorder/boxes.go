package recorder

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Limits on what the readers accept, so that a corrupt or hostile file
// cannot make them allocate without bound.
const (
	maxInitSize     = 4 << 20   // ftyp + moov
	maxFragmentSize = 512 << 20 // moof + mdat
)

// Errors of the segment parsers.
var (
	// ErrTruncated means the file ends inside a box: a segment still being
	// written, or one cut short by a crash (see Recover).
	ErrTruncated = errors.New("recorder: truncated segment")
	// ErrCorrupt means the file is not a segment of the format this package
	// writes.
	ErrCorrupt = errors.New("recorder: corrupt segment")
)

// box is the header of a top-level MP4 box.
type box struct {
	typ  string
	off  int64 // offset of the header
	size int64 // header included
}

func (b box) end() int64 { return b.off + b.size }

// readBox reads the header of the box at off in a file of the given size.
// It returns io.EOF exactly at the end of the file, ErrTruncated if the box
// does not fit in the file, ErrCorrupt for an impossible header.
func readBox(r io.ReaderAt, off, fileSize int64) (box, error) {
	if off == fileSize {
		return box{}, io.EOF
	}
	var h [16]byte
	if fileSize-off < 8 {
		return box{}, ErrTruncated
	}
	if _, err := r.ReadAt(h[:8], off); err != nil {
		return box{}, fmt.Errorf("recorder: read box header: %w", err)
	}
	b := box{typ: string(h[4:8]), off: off, size: int64(binary.BigEndian.Uint32(h[:4]))}
	hdr := int64(8)
	if b.size == 1 { // 64-bit largesize follows the type
		if fileSize-off < 16 {
			return box{}, ErrTruncated
		}
		if _, err := r.ReadAt(h[8:16], off+8); err != nil {
			return box{}, fmt.Errorf("recorder: read box header: %w", err)
		}
		u := binary.BigEndian.Uint64(h[8:16])
		if u > 1<<62 {
			return box{}, fmt.Errorf("%w: box size %d", ErrCorrupt, u)
		}
		b.size, hdr = int64(u), 16
	}
	// Size 0 ("to the end of the file") is never written by the recorder;
	// after a crash it is what a zero-filled tail looks like.
	if b.size < hdr || !printable(h[4:8]) {
		return box{}, fmt.Errorf("%w: box %q of size %d at %d", ErrCorrupt, b.typ, b.size, off)
	}
	if b.size > fileSize-off {
		return box{}, ErrTruncated
	}
	return b, nil
}

func printable(t []byte) bool {
	for _, c := range t {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// readInit returns the bytes of the init (ftyp, moov and anything in
// between) and the offset just after it.
func readInit(r io.ReaderAt, fileSize int64) ([]byte, int64, error) {
	b, err := readBox(r, 0, fileSize)
	if err == io.EOF {
		return nil, 0, ErrTruncated
	}
	if err != nil {
		return nil, 0, err
	}
	if b.typ != "ftyp" {
		return nil, 0, fmt.Errorf("%w: starts with %q, not ftyp", ErrCorrupt, b.typ)
	}
	for b.typ != "moov" {
		if b, err = readBox(r, b.end(), fileSize); err == io.EOF {
			return nil, 0, ErrTruncated
		} else if err != nil {
			return nil, 0, err
		}
		if b.typ == "moof" || b.typ == "mdat" {
			return nil, 0, fmt.Errorf("%w: %q before moov", ErrCorrupt, b.typ)
		}
	}
	if b.end() > maxInitSize {
		return nil, 0, fmt.Errorf("%w: init of %d bytes", ErrCorrupt, b.end())
	}
	buf := make([]byte, b.end())
	if _, err := r.ReadAt(buf, 0); err != nil {
		return nil, 0, fmt.Errorf("recorder: read init: %w", err)
	}
	return buf, b.end(), nil
}

// nextFragment finds the fragment (a moof immediately followed by its mdat)
// at or after off, skipping other top-level boxes (free, sidx, styp, ...).
// It returns the fragment's first offset and its end; io.EOF at the end of
// the file.
func nextFragment(r io.ReaderAt, off, fileSize int64) (start, end int64, err error) {
	for {
		b, err := readBox(r, off, fileSize)
		if err != nil {
			return 0, 0, err
		}
		switch b.typ {
		case "moof":
			m, err := readBox(r, b.end(), fileSize)
			if err == io.EOF {
				return 0, 0, ErrTruncated
			}
			if err != nil {
				return 0, 0, err
			}
			if m.typ != "mdat" {
				return 0, 0, fmt.Errorf("%w: moof followed by %q", ErrCorrupt, m.typ)
			}
			if m.end()-b.off > maxFragmentSize {
				return 0, 0, fmt.Errorf("%w: fragment of %d bytes", ErrCorrupt, m.end()-b.off)
			}
			return b.off, m.end(), nil
		case "mdat", "moov", "ftyp":
			return 0, 0, fmt.Errorf("%w: unexpected %q at %d", ErrCorrupt, b.typ, b.off)
		}
		off = b.end()
	}
}
