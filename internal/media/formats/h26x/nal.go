package h26x

import "bytes"

// Codec selects the NAL unit syntax: H.264 (one-byte NAL header) or H.265
// (two-byte NAL header).
type Codec int

// Supported codecs.
const (
	H264 Codec = iota + 1
	H265
)

// String returns the codec's conventional name.
func (c Codec) String() string {
	switch c {
	case H264:
		return "H264"
	case H265:
		return "H265"
	}
	return "unknown"
}

// NAL unit types this package looks at.
const (
	h264NonIDR = 1
	h264IDR    = 5
	h264SPS    = 7
	h264PPS    = 8

	h265VPS = 32
	h265SPS = 33
	h265PPS = 34
)

// NALType returns the nal_unit_type of nal (0 for an empty unit).
func NALType(c Codec, nal []byte) int {
	if len(nal) == 0 {
		return 0
	}
	if c == H265 {
		return int(nal[0]>>1) & 0x3F
	}
	return int(nal[0]) & 0x1F
}

// maxSets bounds how many distinct parameter sets of one kind are kept:
// encoders use one or two; a hostile stream must not grow Config unbounded.
const maxSets = 4

// ParamSets holds the parameter set NAL units (without start codes) of an
// access unit, in stream order, duplicates removed.
type ParamSets struct {
	VPS, SPS, PPS [][]byte
}

// FindParamSets returns the parameter sets found in the Annex-B access unit
// au. The NAL units are sub-slices of au; copy them to keep them.
func FindParamSets(c Codec, au []byte) ParamSets {
	var p ParamSets
	ForEachNAL(au, func(n []byte) bool {
		switch t := NALType(c, n); {
		case c == H264 && t == h264SPS, c == H265 && t == h265SPS:
			p.SPS = addSet(p.SPS, n)
		case c == H264 && t == h264PPS, c == H265 && t == h265PPS:
			p.PPS = addSet(p.PPS, n)
		case c == H265 && t == h265VPS:
			p.VPS = addSet(p.VPS, n)
		}
		return true
	})
	return p
}

func addSet(sets [][]byte, n []byte) [][]byte {
	for _, s := range sets {
		if bytes.Equal(s, n) {
			return sets
		}
	}
	if len(sets) >= maxSets {
		return sets
	}
	return append(sets, n)
}

// Complete reports whether p has every parameter set a decoder of codec c
// needs to start: SPS and PPS, and for H.265 also a VPS.
func (p ParamSets) Complete(c Codec) bool {
	ok := len(p.SPS) > 0 && len(p.PPS) > 0
	if c == H265 {
		ok = ok && len(p.VPS) > 0
	}
	return ok
}

// Clone returns a deep copy of p, detached from the access unit it was
// found in.
func (p ParamSets) Clone() ParamSets {
	cp := func(in [][]byte) [][]byte {
		if in == nil {
			return nil
		}
		out := make([][]byte, len(in))
		for i, n := range in {
			out[i] = bytes.Clone(n)
		}
		return out
	}
	return ParamSets{VPS: cp(p.VPS), SPS: cp(p.SPS), PPS: cp(p.PPS)}
}

// AnnexB returns the parameter sets as Annex-B with 4-byte start codes in
// decoder order (VPS, SPS, PPS): the hub.Track.Config form.
func (p ParamSets) AnnexB() []byte {
	var all [][]byte
	all = append(all, p.VPS...)
	all = append(all, p.SPS...)
	all = append(all, p.PPS...)
	if len(all) == 0 {
		return nil
	}
	return JoinAnnexB(all...)
}
