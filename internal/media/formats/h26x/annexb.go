package h26x

// ForEachNAL calls fn with each NAL unit (without start code, trailing zero
// bytes trimmed) of the Annex-B byte stream b, in order, until fn returns
// false. Bytes before the first start code are ignored. It does not allocate.
func ForEachNAL(b []byte, fn func(nal []byte) bool) {
	start := -1 // offset of the current NAL unit's first byte
	for i := 0; i+2 < len(b); i++ {
		if b[i+2] > 1 {
			i += 2
			continue
		}
		if b[i] != 0 || b[i+1] != 0 || b[i+2] != 1 {
			continue
		}
		if start >= 0 && !emit(b[start:i], fn) {
			return
		}
		start = i + 3
		i += 2
	}
	if start >= 0 {
		emit(b[start:], fn)
	}
}

// emit trims the trailing zeros (the zero_byte of a following 4-byte start
// code, or trailing_zero_8bits) and skips NAL units that end up empty.
func emit(nal []byte, fn func([]byte) bool) bool {
	for len(nal) > 0 && nal[len(nal)-1] == 0 {
		nal = nal[:len(nal)-1]
	}
	if len(nal) == 0 {
		return true
	}
	return fn(nal)
}

// SplitAnnexB returns the NAL units of the Annex-B byte stream b as
// sub-slices of b (see [ForEachNAL]).
func SplitAnnexB(b []byte) [][]byte {
	var out [][]byte
	ForEachNAL(b, func(n []byte) bool {
		out = append(out, n)
		return true
	})
	return out
}

// JoinAnnexB returns the NAL units as one Annex-B byte stream, each preceded
// by the 4-byte start code 00 00 00 01 (the form hub.Track.Config uses).
func JoinAnnexB(nals ...[]byte) []byte {
	n := 0
	for _, x := range nals {
		n += 4 + len(x)
	}
	out := make([]byte, 0, n)
	for _, x := range nals {
		out = append(out, 0, 0, 0, 1)
		out = append(out, x...)
	}
	return out
}
