package playback

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
)

// Segment is one recorded file: a self-contained fragmented MP4 (init, then
// fragments that each start on a video keyframe). Start is the wall-clock
// time of its first sample (the earliest decoding time in the file: media
// time 0 in the recorder's files), End the time its data ends (zero when
// unknown, e.g. while the file is still being written). Both come from the
// recording index, not from the file: fragmented MP4 carries no wall clock.
type Segment struct {
	Path       string
	Start, End time.Time
}

// Bounds on what a segment file may declare, so that a corrupt or hostile
// file costs bounded memory.
const (
	maxInitSize     = 4 << 20  // ftyp + moov: a few hundred bytes in practice
	maxMoofSize     = 16 << 20 // one moof: a few kB per second of media
	maxFragmentSize = 64 << 20 // moof + mdat: one GOP (50 Mbit/s over 10 s)
)

// ErrBadSegment wraps every reason a segment file cannot be read.
var ErrBadSegment = errors.New("playback: bad segment file")

// segmentFile reads one segment: the tracks from its init, then its
// fragments one by one as sample indexes (offsets and timing, no payload).
type segmentFile struct {
	r      io.ReaderAt
	size   int64
	closer io.Closer

	video *trackInfo
	audio *trackInfo // nil without a usable audio track

	next    int64  // file offset of the next top-level box to look at
	scratch []byte // reused moof + mdat buffer; the mdat part is never read
}

// openSegment opens the segment file at path and reads its init.
func openSegment(path string) (*segmentFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	s, err := newSegmentFile(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.closer = f
	return s, nil
}

// newSegmentFile reads the init of the segment held by r (size bytes).
func newSegmentFile(r io.ReaderAt, size int64) (*segmentFile, error) {
	s := &segmentFile{r: r, size: size}
	if err := s.readInit(); err != nil {
		return nil, err
	}
	return s, nil
}

// Close releases the file.
func (s *segmentFile) Close() error {
	if s.closer == nil {
		return nil
	}
	return s.closer.Close()
}

// box is a top-level box header.
type box struct {
	typ  string
	off  int64 // offset of the header
	hdr  int64 // header length (8 or 16)
	size int64 // total size including the header
}

// readBox reads the top-level box header at off. A box that claims to run
// past the end of the file is returned as is; callers decide (a segment still
// being written ends in a partial fragment).
func (s *segmentFile) readBox(off int64) (box, error) {
	if off+8 > s.size {
		return box{}, io.EOF
	}
	var h [16]byte
	if _, err := s.r.ReadAt(h[:8], off); err != nil {
		return box{}, err
	}
	b := box{typ: string(h[4:8]), off: off, hdr: 8, size: int64(binary.BigEndian.Uint32(h[:4]))}
	switch b.size {
	case 0: // extends to the end of the file
		b.size = s.size - off
	case 1: // 64-bit largesize follows the type
		if off+16 > s.size {
			return box{}, io.EOF
		}
		if _, err := s.r.ReadAt(h[8:16], off+8); err != nil {
			return box{}, err
		}
		large := binary.BigEndian.Uint64(h[8:16])
		if large > 1<<62 {
			return box{}, fmt.Errorf("%w: box %q size %d", ErrBadSegment, b.typ, large)
		}
		b.hdr, b.size = 16, int64(large)
	}
	if b.size < b.hdr {
		return box{}, fmt.Errorf("%w: box %q size %d", ErrBadSegment, b.typ, b.size)
	}
	return b, nil
}

// readInit parses ftyp + moov with mediacommon and keeps the video track
// (ID 1 by contract, but any H.264/H.265 track is accepted) and the first
// AAC track.
func (s *segmentFile) readInit() error {
	var off int64
	for {
		b, err := s.readBox(off)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return fmt.Errorf("%w: no moov", ErrBadSegment)
			}
			return err
		}
		if b.off+b.size > maxInitSize {
			return fmt.Errorf("%w: init larger than %d bytes", ErrBadSegment, maxInitSize)
		}
		off = b.off + b.size
		if b.typ == "moov" {
			break
		}
	}
	if off > s.size {
		return fmt.Errorf("%w: truncated moov", ErrBadSegment)
	}
	buf := make([]byte, off)
	if _, err := s.r.ReadAt(buf, 0); err != nil {
		return err
	}
	var init fmp4.Init
	if err := safely(func() error { return init.Unmarshal(bytes.NewReader(buf)) }); err != nil {
		return fmt.Errorf("%w: init: %w", ErrBadSegment, err)
	}
	for _, t := range init.Tracks {
		ti, ok := newTrackInfo(t)
		if !ok {
			continue
		}
		switch {
		case ti.codec.IsVideo() && s.video == nil:
			s.video = ti
		case !ti.codec.IsVideo() && s.audio == nil:
			s.audio = ti
		}
	}
	if s.video == nil {
		return fmt.Errorf("%w: no H.264/H.265 track", ErrBadSegment)
	}
	s.next = off
	return nil
}

// nextFragment returns the samples of the next fragment, video and audio
// merged in decoding order. It returns io.EOF after the last complete
// fragment: a partial fragment at the end of the file (a segment being
// written, or cut by a crash) ends the segment instead of failing it.
func (s *segmentFile) nextFragment() ([]sampleRef, error) {
	for {
		moof, err := s.readBox(s.next)
		if err != nil {
			return nil, err
		}
		if moof.off+moof.size > s.size {
			return nil, io.EOF
		}
		if moof.typ != "moof" { // styp, sidx, free, mfra...: not media
			s.next = moof.off + moof.size
			continue
		}
		if moof.size > maxMoofSize {
			return nil, fmt.Errorf("%w: moof of %d bytes", ErrBadSegment, moof.size)
		}
		mdat, err := s.readBox(moof.off + moof.size)
		if err != nil {
			return nil, io.EOF
		}
		if mdat.typ != "mdat" {
			return nil, fmt.Errorf("%w: %q after moof", ErrBadSegment, mdat.typ)
		}
		if mdat.off+mdat.size > s.size {
			return nil, io.EOF
		}
		total := moof.size + mdat.size
		if total > maxFragmentSize {
			return nil, fmt.Errorf("%w: fragment of %d bytes", ErrBadSegment, total)
		}
		s.next = mdat.off + mdat.size
		refs, err := s.parseFragment(moof, mdat)
		if err != nil {
			return nil, err
		}
		if len(refs) > 0 {
			return refs, nil
		}
	}
}

// parseFragment runs mediacommon's parser over moof + the mdat header. Only
// those bytes are read: the parser needs a buffer as long as the fragment to
// bounds-check sample positions, but the payloads are read later, one sample
// at a time, and only those that are used (keyframes at high speed, the
// requested range when exporting).
func (s *segmentFile) parseFragment(moof, mdat box) ([]sampleRef, error) {
	total := int(moof.size + mdat.size)
	if cap(s.scratch) < total {
		s.scratch = make([]byte, total)
	}
	buf := s.scratch[:total]
	head := int(moof.size + mdat.hdr)
	if _, err := s.r.ReadAt(buf[:head], moof.off); err != nil {
		return nil, err
	}
	var parts fmp4.Parts
	if err := safely(func() error { return parts.Unmarshal(buf) }); err != nil {
		return nil, fmt.Errorf("%w: fragment at %d: %w", ErrBadSegment, moof.off, err)
	}
	applyFirstSampleFlags(buf[:moof.size], parts)
	var video, audio []sampleRef
	for _, p := range parts {
		for _, pt := range p.Tracks {
			var t *trackInfo
			switch {
			case pt.ID == s.video.id:
				t = s.video
			case s.audio != nil && pt.ID == s.audio.id:
				t = s.audio
			default:
				continue
			}
			dts := int64(pt.BaseTime)
			if pt.BaseTime > 1<<62 {
				return nil, fmt.Errorf("%w: base time %d", ErrBadSegment, pt.BaseTime)
			}
			for _, sm := range pt.Samples {
				ref := sampleRef{
					track:  t,
					dts:    dts,
					ptsOff: int64(sm.PTSOffset),
					dur:    int64(sm.Duration),
					sync:   !sm.IsNonSyncSample,
					// The payload is a sub-slice of buf: its distance from
					// the start of buf is its offset in the fragment.
					off:  moof.off + int64(cap(buf)-cap(sm.Payload)),
					size: int64(len(sm.Payload)),
				}
				dts += int64(sm.Duration)
				if t == s.video {
					video = append(video, ref)
				} else {
					audio = append(audio, ref)
				}
			}
		}
	}
	return mergeByDTS(video, audio), nil
}

// readSample reads the payload of ref into a new slice.
func (s *segmentFile) readSample(ref sampleRef) ([]byte, error) {
	buf := make([]byte, ref.size)
	if _, err := s.r.ReadAt(buf, ref.off); err != nil {
		return nil, fmt.Errorf("%w: sample at %d: %w", ErrBadSegment, ref.off, err)
	}
	return buf, nil
}

// safely runs fn, turning a panic of the box parser (on input it did not
// expect) into an error: a bad file must never take the process down.
func safely(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("parser panic: %v", p)
		}
	}()
	return fn()
}
