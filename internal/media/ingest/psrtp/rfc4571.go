package psrtp

import (
	"bufio"
	"errors"
	"io"
)

// readRFC4571 reads one RFC 4571 frame (2-byte big-endian length, then the
// RTP or RTCP packet) from r into a buffer from s.
func readRFC4571(r *bufio.Reader, s *slab) ([]byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	b := s.alloc(int(h[0])<<8 | int(h[1]))
	if _, err := io.ReadFull(r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

// maxBadFrames is how many consecutive TCP frames that are not RTP end a
// connection: RFC 4571 has no resynchronisation point, so after a framing
// error every later length is garbage too.
const maxBadFrames = 32

// errFraming is returned by readFrames when framing is lost.
var errFraming = errors.New("psrtp: RFC 4571 framing lost")

// readFrames calls fn with each RFC 4571 frame read from br until fn returns
// false (nil error), reading fails, or maxBadFrames frames in a row are not
// RTP version 2 (errFraming).
func readFrames(br *bufio.Reader, sl *slab, fn func(b []byte) bool) error {
	bad := 0
	for {
		b, err := readRFC4571(br, sl)
		if err != nil {
			return err
		}
		if len(b) < 12 || b[0]>>6 != 2 {
			if bad++; bad >= maxBadFrames {
				return errFraming
			}
		} else {
			bad = 0
		}
		if !fn(b) {
			return nil
		}
	}
}
