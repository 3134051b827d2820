package playback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/pmp4"
)

// Info describes an exported file.
type Info struct {
	Start    time.Time     // wall-clock time of the first presented frame
	End      time.Time     // wall-clock time where the last sample ends
	Duration time.Duration // presented duration (gaps between segments are cut out)
	Size     int64         // bytes written
}

// ErrTooLarge is returned when an export would exceed the 4 GiB that 32-bit
// MP4 chunk offsets can address.
var ErrTooLarge = errors.New("playback: export larger than 4 GiB")

// ExportMP4 writes the recording between from and to as one progressive MP4
// file to w: ftyp, then moov, then a single mdat (the moov comes first, the
// "faststart" layout, so a player fetching the file over HTTP can start
// playing at once and seek with range requests). Samples are copied, not
// re-encoded: the file starts with the video keyframe at or before from, and
// an edit list makes players start presenting at from itself, so the
// reported duration is to − from when the range lies inside recorded data.
// Gaps between segments are cut out (see the package doc). The audio track is
// kept when the segments have one. A segment whose video parameter sets
// differ from the first one's ends the file early (Info.End tells where).
//
// The range is indexed first (moof boxes only), so ErrNoData, ErrTooLarge
// and unreadable files are reported before anything is written; ctx is
// checked while the samples are copied, and on a later error w holds a
// partial file.
func ExportMP4(ctx context.Context, w io.Writer, segments []Segment, from, to time.Time) (Info, error) {
	x, err := planExport(ctx, segments, from, to)
	if err != nil {
		return Info{}, err
	}
	defer x.close()
	cw := &countingWriter{w: w}
	if err := x.pres.Marshal(&editListFixer{w: cw}); err != nil {
		return Info{}, err
	}
	x.info.Size = cw.n
	return x.info, nil
}

// ExportMP4File writes the export to path through a temporary file renamed
// into place, so path never holds a partial file.
func ExportMP4File(ctx context.Context, path string, segments []Segment, from, to time.Time) (Info, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".export-*.mp4")
	if err != nil {
		return Info{}, err
	}
	defer os.Remove(tmp.Name())
	info, err := ExportMP4(ctx, tmp, segments, from, to)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Info{}, err
	}
	return info, os.Rename(tmp.Name(), path)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// export is a planned export: the sample tables, and the files the payloads
// are read from while the mdat is written.
type export struct {
	pres  pmp4.Presentation
	info  Info
	files *fileCache
}

func (x *export) close() { x.files.close() }

// planExport walks the range once, reading only the moof boxes, and builds
// the sample tables.
func planExport(ctx context.Context, segments []Segment, from, to time.Time) (*export, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("playback: empty range %v–%v", from, to)
	}
	if len(segments) == 0 {
		return nil, ErrNoData
	}
	tl := newTimeline(segments, nil, true)
	defer tl.Close()
	if err := tl.seek(from, 0); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	x := &export{files: &fileCache{ctx: ctx, segs: segments}}
	vt := &trackBuilder{info: tl.video, track: &pmp4.Track{ID: 1, TimeScale: uint32(tl.video.timeScale), Codec: tl.video.mp4}}
	var at *trackBuilder
	if tl.audio != nil {
		at = &trackBuilder{info: tl.audio, track: &pmp4.Track{ID: 2, TimeScale: uint32(tl.audio.timeScale), Codec: tl.audio.mp4}}
	}
	// The presentation starts at from, or at the first keyframe when from
	// is before it (a range starting in a gap).
	fromContent := tl.contentAt(from)
	var (
		first     = true
		size      int64
		end       time.Duration
		endWall   time.Time
		lastCheck = time.Now()
	)
	for {
		it, err := tl.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if !it.wallDTS.Before(to) {
			break
		}
		if first {
			if it.pts > fromContent {
				fromContent = it.pts
				x.info.Start = it.wall
			} else {
				x.info.Start = from
			}
			first = false
		}
		b := vt
		if it.ref.track != it.f.video {
			if at == nil || it.dts < 0 {
				continue // audio before the first keyframe
			}
			b = at
		}
		b.add(it, x.files.ref(tl.idx, it.ref))
		size += it.ref.size
		if e := it.dts + it.dur; e > end {
			end, endWall = e, it.wallDTS.Add(it.dur)
		}
		if size > 4<<30-64<<20 { // room for the moov
			return nil, ErrTooLarge
		}
		if time.Since(lastCheck) > 100*time.Millisecond {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			lastCheck = time.Now()
		}
	}
	if len(vt.track.Samples) == 0 {
		return nil, ErrNoData
	}
	if over := endWall.Sub(to); over > 0 { // the last frame's duration runs past to
		endWall, end = to, end-over
	}
	x.info.End = endWall
	x.info.Duration = end - fromContent
	vt.finish(fromContent, x)
	x.pres.Tracks = append(x.pres.Tracks, vt.track)
	if at != nil && len(at.track.Samples) > 0 {
		at.finish(fromContent, x)
		x.pres.Tracks = append(x.pres.Tracks, at.track)
	}
	return x, nil
}

// trackBuilder collects the samples of one exported track.
type trackBuilder struct {
	info  *trackInfo
	track *pmp4.Track
	dts   []int64 // output decoding times in ticks, to derive durations
	first time.Duration
}

func (b *trackBuilder) add(it item, loc sampleLoc) {
	dts := b.info.toTicks(it.dts)
	if len(b.dts) == 0 {
		b.first = it.dts
	} else if last := b.dts[len(b.dts)-1]; dts <= last {
		dts = last + 1 // overlapping segments: keep decoding times increasing
	}
	b.dts = append(b.dts, dts)
	b.track.Samples = append(b.track.Samples, &pmp4.Sample{
		Duration:        uint32(it.ref.dur),
		PTSOffset:       int32(it.ref.ptsOff),
		IsNonSyncSample: !it.ref.sync,
		PayloadSize:     uint32(it.ref.size),
		GetPayload:      loc.read,
	})
}

// finish derives each sample's duration from the next one's decoding time
// (so that samples of consecutive segments abut exactly) and sets the edit
// that starts the presentation at fromContent.
func (b *trackBuilder) finish(fromContent time.Duration, x *export) {
	for i := 0; i+1 < len(b.dts); i++ {
		b.track.Samples[i].Duration = uint32(b.dts[i+1] - b.dts[i])
	}
	// Media time 0 is the first sample's decoding time.
	b.track.TimeOffset = int32(b.info.toTicks(b.first - fromContent))
}
