package psrtp

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
