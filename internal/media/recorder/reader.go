package recorder

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"

	"github.com/vionet/vionet/internal/media/hub"
)

// SegmentReader reads the units of one segment file back, one fragment at a
// time (memory is bounded by the largest fragment, about one GOP).
type SegmentReader struct {
	f      *os.File
	size   int64
	off    int64 // where the next fragment is looked for
	start  time.Time
	tracks []hub.Track
	buf    []byte     // current fragment, reused
	queue  []hub.Unit // decoded units not returned yet, of one fragment
	next   []hub.Unit // those of the fragment after it
	err    error      // sticky
}

// Open opens a segment file (.mp4, or a .mp4.part being written) and reads
// its init. Its tracks are the video track (ID 1) and the AAC track (ID 2)
// if the file has them.
func Open(path string) (*SegmentReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := newSegmentReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("recorder: open %s: %w", path, err)
	}
	r.start, _ = startFromName(path)
	return r, nil
}

func newSegmentReader(f *os.File) (*SegmentReader, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	tracks, off, err := parseInit(f, st.Size())
	if err != nil {
		return nil, err
	}
	return &SegmentReader{f: f, size: st.Size(), off: off, tracks: tracks}, nil
}

// parseInit reads and parses the init of a segment file.
func parseInit(r io.ReaderAt, size int64) ([]hub.Track, int64, error) {
	raw, off, err := readInit(r, size)
	if err != nil {
		return nil, 0, err
	}
	var init fmp4.Init
	if err := init.Unmarshal(bytes.NewReader(raw)); err != nil {
		return nil, 0, fmt.Errorf("%w: init: %v", ErrCorrupt, err)
	}
	tracks := hubTracks(&init)
	if len(tracks) == 0 {
		return nil, 0, fmt.Errorf("%w: no H.264, H.265 or AAC track", ErrCorrupt)
	}
	for _, t := range tracks {
		if t.ClockRate <= 0 {
			return nil, 0, fmt.Errorf("%w: track %d has no timescale", ErrCorrupt, t.ID)
		}
	}
	return tracks, off, nil
}

// Tracks returns the segment's tracks: video Config holds the parameter sets
// of the avcC/hvcC as Annex-B and Width/Height come from the SPS; AAC Config
// is the AudioSpecificConfig. ClockRate is the track's timescale.
func (r *SegmentReader) Tracks() []hub.Track { return r.tracks }

// Start returns the segment's wall-clock start taken from its file name
// (zero if the name does not carry it).
func (r *SegmentReader) Start() time.Time { return r.start }

// Next returns the next unit in DTS order, with PTS and DTS relative to the
// segment start; video Data is an Annex-B access unit, audio Data a raw
// frame. It returns io.EOF after the last unit, ErrTruncated if the file
// ends inside a fragment and ErrCorrupt (wrapped) for a malformed one.
//
// Units are sorted within a fragment and merged with the next fragment's:
// audio that arrived on the other side of a keyframe than its timestamp
// says comes out in its place.
func (r *SegmentReader) Next() (hub.Unit, error) {
	for len(r.queue) == 0 {
		if len(r.next) == 0 && r.err != nil {
			return hub.Unit{}, r.err
		}
		r.queue, r.next = r.next, r.queue[:0]
		r.fill()
	}
	if len(r.next) == 0 {
		r.fill()
	}
	src := &r.queue
	if len(r.next) > 0 && r.next[0].DTS < r.queue[0].DTS {
		src = &r.next
	}
	u := (*src)[0]
	(*src)[0] = hub.Unit{}
	*src = (*src)[1:]
	return u, nil
}

// fill decodes fragments into r.next until it holds units or the file ends
// (r.err is then set; the units read so far are still returned).
func (r *SegmentReader) fill() {
	for len(r.next) == 0 && r.err == nil {
		r.err = r.readFragment()
	}
}

// readFragment decodes the next fragment into r.next.
func (r *SegmentReader) readFragment() error {
	start, end, err := nextFragment(r.f, r.off, r.size)
	if err != nil {
		return err
	}
	n := int(end - start)
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := r.f.ReadAt(r.buf, start); err != nil {
		return fmt.Errorf("recorder: read fragment: %w", err)
	}
	r.next, _, err = decodeFragment(r.buf, r.tracks, r.next[:0], true)
	if err != nil {
		r.next = r.next[:0]
		return err
	}
	r.off = end
	return nil
}

// Close closes the file.
func (r *SegmentReader) Close() error { return r.f.Close() }

// ReadInfo describes a closed segment file cheaply: it reads the init, walks
// the top-level box headers and decodes only the last fragment to find the
// end. The start comes from the file name (<start-unixmilli>.mp4).
func ReadInfo(path string) (Segment, error) {
	start, err := startFromName(path)
	if err != nil {
		return Segment{}, err
	}
	f, err := os.Open(path)
	if err != nil {
		return Segment{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Segment{}, err
	}
	tracks, off, err := parseInit(f, st.Size())
	if err != nil {
		return Segment{}, fmt.Errorf("recorder: %s: %w", path, err)
	}
	var last [2]int64 // the last fragment
	for {
		s, e, err := nextFragment(f, off, st.Size())
		if err == io.EOF {
			break
		}
		if err != nil {
			return Segment{}, fmt.Errorf("recorder: %s: %w", path, err)
		}
		last, off = [2]int64{s, e}, e
	}
	if last[1] == 0 {
		return Segment{}, fmt.Errorf("recorder: %s: %w: no fragment", path, ErrTruncated)
	}
	buf := make([]byte, last[1]-last[0])
	if _, err := f.ReadAt(buf, last[0]); err != nil {
		return Segment{}, fmt.Errorf("recorder: %s: %w", path, err)
	}
	_, fi, err := decodeFragment(buf, tracks, nil, false)
	if err != nil {
		return Segment{}, fmt.Errorf("recorder: %s: %w", path, err)
	}
	return describe(path, start, st.Size(), tracks, fi.end()), nil
}

// describe builds the Segment of a file from its tracks and media end.
func describe(path string, start time.Time, size int64, tracks []hub.Track, end time.Duration) Segment {
	s := Segment{Path: path, Start: start, End: start.Add(end), Size: size}
	for _, t := range tracks {
		if t.Codec.IsVideo() && s.Codec == 0 {
			s.Codec = t.Codec
		} else if t.Codec == hub.AAC {
			s.HasAudio = true
		}
	}
	return s
}
