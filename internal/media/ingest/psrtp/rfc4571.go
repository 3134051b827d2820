package psrtp

import (
	"bufio"
	"io"
)

// slab hands out packet buffers carved from 64 KiB chunks, so that reading
// a packet costs a copy instead of an allocation. A chunk is freed by the
// garbage collector once no packet cut from it is referenced any more (the
// demuxer copies what it keeps), so memory stays bounded by the packets in
// flight.
type slab struct{ buf []byte }

const slabChunk = 64 << 10

// alloc returns an n-byte slice with capacity n.
func (s *slab) alloc(n int) []byte {
	if len(s.buf) < n {
		s.buf = make([]byte, max(slabChunk, n))
	}
	b := s.buf[:n:n]
	s.buf = s.buf[n:]
	return b
}

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
