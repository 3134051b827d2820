package h26x

import (
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// maxDimension bounds what Dimensions accepts as a picture size; H.264 and
// H.265 levels stop at 8192x4320, and a hostile SPS can claim anything.
const maxDimension = 16384

// ErrBadSPS is returned by Dimensions when the SPS cannot be parsed or
// declares an implausible size.
var ErrBadSPS = errors.New("h26x: bad SPS")

// Dimensions returns the cropped picture width and height declared by sps,
// a SPS NAL unit including its header (as returned in ParamSets.SPS).
func Dimensions(c Codec, sps []byte) (width, height int, err error) {
	switch c {
	case H264:
		var s h264.SPS
		if err := s.Unmarshal(sps); err != nil {
			return 0, 0, fmt.Errorf("%w: %v", ErrBadSPS, err)
		}
		width, height = s.Width(), s.Height()
	case H265:
		var s h265.SPS
		if err := s.Unmarshal(sps); err != nil {
			return 0, 0, fmt.Errorf("%w: %v", ErrBadSPS, err)
		}
		width, height = s.Width(), s.Height()
	default:
		return 0, 0, fmt.Errorf("%w: codec %v", ErrBadSPS, c)
	}
	if width <= 0 || height <= 0 || width > maxDimension || height > maxDimension {
		return 0, 0, fmt.Errorf("%w: size %dx%d", ErrBadSPS, width, height)
	}
	return width, height, nil
}
