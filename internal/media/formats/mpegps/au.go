package mpegps

// auSplitter assembles H.264/H.265 access units from the elementary byte
// stream of one video PES stream, independent of how the stream was cut
// into PES packets. A PES PTS/DTS applies to the first access unit that
// starts in that PES payload (ISO/IEC 13818-1 2.4.3.7); access units that
// start without a PES timestamp get PTS/DTS -1.
type auSplitter struct {
	codec   Codec
	buf     []byte // current AU from its first start code, plus unscanned bytes
	scan    int    // next offset in buf to search for a start code
	started bool   // buf[0] is the start of an access unit
	hasVCL  bool   // current AU already contains a coded slice
	drop    bool   // current AU exceeded MaxFrameSize and is being discarded
	pts     int64  // timestamps of the current AU
	dts     int64

	tsOff        int // buf offset where the PES carrying ts began
	tsPTS, tsDTS int64
	tsValid      bool
}

// setTS records the timestamps of a PES whose payload will start at the
// current end of buf.
func (s *auSplitter) setTS(pts, dts int64) {
	if pts < 0 {
		return
	}
	s.tsOff, s.tsPTS, s.tsDTS, s.tsValid = len(s.buf), pts, dts, true
}

// startAU makes buf[cut:] the new current access unit.
func (s *auSplitter) startAU(cut int) {
	s.discard(cut)
	s.started, s.hasVCL, s.drop = true, false, false
	s.pts, s.dts = -1, -1
	if s.tsValid && s.tsOff <= 0 {
		s.pts, s.dts, s.tsValid = s.tsPTS, s.tsDTS, false
	}
}

// discard drops buf[:n]. Reslicing keeps this O(1); append reallocates
// (copying only live bytes) once the capacity is used up.
func (s *auSplitter) discard(n int) {
	if n <= 0 {
		return
	}
	s.buf = s.buf[n:]
	s.scan -= n
	s.tsOff -= n
}

// take returns a copy of buf[:n] as an access unit's data and drops it.
func (s *auSplitter) take(n int) []byte {
	data := append([]byte(nil), s.buf[:n]...)
	s.discard(n)
	return data
}

// write appends ES bytes and calls emit for each completed access unit
// (data nil when it was dropped as oversize).
func (s *auSplitter) write(b []byte, emit func(data []byte, pts, dts int64)) {
	s.process(b, 5, emit)
}

// process appends b and scans for NAL units; need is how many bytes after
// the start code must be present (5 normally, 3 at end of stream).
func (s *auSplitter) process(b []byte, need int, emit func(data []byte, pts, dts int64)) {
	s.buf = append(s.buf, b...)
	for {
		i := s.scan
		for ; i+need < len(s.buf); i++ {
			if s.buf[i+2] > 1 {
				i += 2
				continue
			}
			if s.buf[i] == 0 && s.buf[i+1] == 0 && s.buf[i+2] == 1 {
				break
			}
		}
		if i+need >= len(s.buf) {
			s.scan = max(i, 0)
			break
		}
		h0, h1, h2 := s.at(i+3), s.at(i+4), s.at(i+5)
		cut := i
		if cut > 0 && s.buf[cut-1] == 0 {
			cut--
		}
		s.scan = i + 3 // adjusted by discard/take below
		switch {
		case !s.started:
			if s.codec == Unknown {
				s.codec = sniffNAL(h0, h1)
			}
			s.startAU(cut)
		case cut > 0 && s.newAU(h0, h1, h2):
			pts, dts, drop := s.pts, s.dts, s.drop || cut > MaxFrameSize
			var data []byte
			if drop {
				s.discard(cut)
			} else {
				data = s.take(cut)
			}
			s.startAU(0)
			emit(data, pts, dts)
		}
		if s.isVCL(h0) {
			s.hasVCL = true
		}
	}
	// Bound memory: junk before the first start code and oversize AUs are
	// discarded while scanning continues.
	// One byte before scan is kept: it may be the zero_byte of a 4-byte
	// start code.
	if !s.started {
		s.discard(s.scan - 1)
	} else if s.scan > MaxFrameSize+1 {
		s.drop = true
		s.discard(s.scan - 1)
	}
}

// newAU reports whether a NAL unit with the given first bytes starts a new
// access unit given the current one.
func (s *auSplitter) newAU(h0, h1, h2 byte) bool {
	if s.codec == H265 {
		t := (h0 >> 1) & 0x3F
		switch {
		case t == 35: // AUD
			return true
		case t < 32:
			return s.hasVCL && h2&0x80 != 0 // first_slice_segment_in_pic_flag
		case t >= 32 && t <= 34, t == 39, t >= 41 && t <= 44, t >= 48 && t <= 55:
			return s.hasVCL
		}
		return false
	}
	t := h0 & 0x1F
	switch {
	case t == 9: // AUD
		return true
	case t >= 1 && t <= 5:
		return s.hasVCL && h1&0x80 != 0 // first_mb_in_slice == 0
	case t >= 6 && t <= 8, t >= 13 && t <= 18:
		return s.hasVCL
	}
	return false
}

func (s *auSplitter) isVCL(h0 byte) bool {
	if s.codec == H265 {
		return (h0>>1)&0x3F < 32
	}
	t := h0 & 0x1F
	return t >= 1 && t <= 5
}

// flush emits the current access unit, if any.
func (s *auSplitter) flush(emit func(data []byte, pts, dts int64)) {
	s.process(nil, 3, emit)
	if s.started && len(s.buf) > 0 {
		pts, dts, drop := s.pts, s.dts, s.drop || len(s.buf) > MaxFrameSize
		var data []byte
		if !drop {
			data = s.take(len(s.buf))
		}
		emit(data, pts, dts)
	}
	*s = auSplitter{codec: s.codec}
}

func (s *auSplitter) at(i int) byte {
	if i < len(s.buf) {
		return s.buf[i]
	}
	return 0
}
