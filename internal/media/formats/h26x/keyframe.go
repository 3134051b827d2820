package h26x

// IsKeyframe reports whether the Annex-B access unit au can start decoding:
// for H.265 it contains an IRAP picture (NAL types 16–23); for H.264 it
// contains an IDR slice, or it carries an SPS and its first slice is an
// I slice. The second H.264 case accepts the recovery-point I frames some
// camera firmwares send instead of IDR frames; without it such a camera
// would never be published.
func IsKeyframe(c Codec, au []byte) bool {
	key, sps := false, false
	var firstSlice []byte
	ForEachNAL(au, func(n []byte) bool {
		t := NALType(c, n)
		if c == H265 {
			key = t >= 16 && t <= 23
			return !key
		}
		switch t {
		case h264IDR:
			key = true
		case h264SPS:
			sps = true
		case h264NonIDR:
			if firstSlice == nil {
				firstSlice = n
			}
		}
		return !key
	})
	if key || c != H264 || !sps || firstSlice == nil {
		return key
	}
	st, ok := h264SliceType(firstSlice)
	return ok && (st%5 == 2 || st%5 == 4) // I or SI
}

// h264SliceType reads slice_type from the slice header of a coded slice NAL
// unit: first_mb_in_slice ue(v), then slice_type ue(v). Only the first bytes
// are needed; emulation prevention bytes there are removed.
func h264SliceType(nal []byte) (uint32, bool) {
	hdr := make([]byte, 0, 16)
	zeros := 0
	for _, b := range nal[1:min(len(nal), 24)] {
		if zeros >= 2 && b == 3 {
			zeros = 0
			continue
		}
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
		hdr = append(hdr, b)
	}
	br := bitReader{b: hdr}
	if _, ok := br.ue(); !ok {
		return 0, false
	}
	return br.ue()
}

// bitReader reads Exp-Golomb codes from a short byte slice.
type bitReader struct {
	b   []byte
	pos int // in bits
}

func (r *bitReader) bit() (uint32, bool) {
	if r.pos >= len(r.b)*8 {
		return 0, false
	}
	v := uint32(r.b[r.pos/8]>>(7-r.pos%8)) & 1
	r.pos++
	return v, true
}

// ue reads an unsigned Exp-Golomb code (at most 31 leading zeros).
func (r *bitReader) ue() (uint32, bool) {
	zeros := 0
	for {
		b, ok := r.bit()
		if !ok {
			return 0, false
		}
		if b == 1 {
			break
		}
		zeros++
		if zeros > 31 {
			return 0, false
		}
	}
	v := uint32(0)
	for range zeros {
		b, ok := r.bit()
		if !ok {
			return 0, false
		}
		v = v<<1 | b
	}
	return v + (1<<zeros - 1), true
}
