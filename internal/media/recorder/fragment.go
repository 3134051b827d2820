package recorder

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"

	"github.com/vionet/vionet/internal/media/hub"
)

// fragmentInfo is what decodeFragment learns besides the units: where the
// fragment ends on the media timeline, per kind of track.
type fragmentInfo struct {
	videoEnd, audioEnd time.Duration
	hasVideo, hasAudio bool
	samples            int
}

// end is the media time the fragment ends at: the video end if it has video.
func (fi fragmentInfo) end() time.Duration {
	if fi.hasVideo {
		return fi.videoEnd
	}
	return fi.audioEnd
}

// decodeFragment parses one moof+mdat (buf starts at the moof) with
// mediacommon and appends its samples to dst as hub units of the given
// tracks, in DTS order, timestamps relative to the segment start. Video
// samples are converted to Annex-B; every Data is a fresh slice, so buf may
// be reused. With decode false only the timing is computed and the samples
// checked (what Next would decode, it must be able to), and dst is returned
// as is.
func decodeFragment(buf []byte, tracks []hub.Track, dst []hub.Unit, decode bool) ([]hub.Unit, fragmentInfo, error) {
	var parts fmp4.Parts
	var fi fragmentInfo
	if err := parts.Unmarshal(buf); err != nil {
		return dst, fi, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if len(parts) != 1 {
		return dst, fi, fmt.Errorf("%w: %d moof in one fragment", ErrCorrupt, len(parts))
	}
	first := len(dst)
	for _, pt := range parts[0].Tracks {
		i := slices.IndexFunc(tracks, func(t hub.Track) bool { return t.ID == pt.ID })
		if i < 0 {
			continue
		}
		t := tracks[i]
		rate := int64(t.ClockRate)
		dts := int64(pt.BaseTime)
		if dts < 0 { // a base time beyond int64 is not ours
			return dst, fi, fmt.Errorf("%w: base time %d", ErrCorrupt, pt.BaseTime)
		}
		for _, s := range pt.Samples {
			fi.samples++
			if decode {
				u := hub.Unit{
					Track:    t.ID,
					DTS:      fromTicks(dts, rate),
					PTS:      fromTicks(dts+int64(s.PTSOffset), rate),
					Keyframe: t.Codec.IsVideo() && !s.IsNonSyncSample,
				}
				if t.Codec.IsVideo() {
					data, err := avccToAnnexB(s.Payload)
					if err != nil {
						return dst, fi, fmt.Errorf("%w: %v", ErrCorrupt, err)
					}
					u.Data = data
				} else {
					u.Data = slices.Clone(s.Payload)
				}
				dst = append(dst, u)
			} else if t.Codec.IsVideo() && !validAVCC(s.Payload) {
				return dst, fi, fmt.Errorf("%w: bad NAL lengths in a sample of track %d", ErrCorrupt, t.ID)
			}
			dts += int64(s.Duration)
		}
		end := fromTicks(dts, rate)
		if t.Codec.IsVideo() {
			fi.hasVideo, fi.videoEnd = true, max(fi.videoEnd, end)
		} else {
			fi.hasAudio, fi.audioEnd = true, max(fi.audioEnd, end)
		}
	}
	// Tracks are stored one after the other; interleave them by DTS.
	// The sort is stable so that video comes first at equal DTS.
	slices.SortStableFunc(dst[first:], func(a, b hub.Unit) int { return cmp.Compare(a.DTS, b.DTS) })
	return dst, fi, nil
}
