package flv

import (
	"bytes"
	"errors"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/vionet/vionet/internal/media/hub"
)

// errParams reports unusable parameter sets.
var errParams = errors.New("flv: missing or invalid parameter sets")

// paramSets are the parameter sets of one video track. The slices point
// into Track.Config or into a unit's Data, both immutable by the hub
// contract, so they are never copied.
type paramSets struct {
	vps, sps, pps [][]byte
}

func (p *paramSets) reset() {
	p.vps, p.sps, p.pps = p.vps[:0], p.sps[:0], p.pps[:0]
}

// add records n if it is a parameter set of codec and reports whether it was.
func (p *paramSets) add(codec hub.Codec, n []byte) bool {
	if codec == hub.H264 {
		switch h264Type(n) {
		case h264NALSPS:
			p.sps = append(p.sps, n)
		case h264NALPPS:
			p.pps = append(p.pps, n)
		default:
			return false
		}
		return true
	}
	if len(n) < 2 {
		return false
	}
	switch h265Type(n) {
	case h265NALVPS:
		p.vps = append(p.vps, n)
	case h265NALSPS:
		p.sps = append(p.sps, n)
	case h265NALPPS:
		p.pps = append(p.pps, n)
	default:
		return false
	}
	return true
}

// complete reports whether p has every parameter set codec needs.
func (p *paramSets) complete(codec hub.Codec) bool {
	if len(p.sps) == 0 || len(p.pps) == 0 {
		return false
	}
	return codec == hub.H264 || len(p.vps) > 0
}

func (p *paramSets) equal(o *paramSets) bool {
	return equalSets(p.vps, o.vps) && equalSets(p.sps, o.sps) && equalSets(p.pps, o.pps)
}

// copyFrom makes p hold the same units as o (sharing the bytes).
func (p *paramSets) copyFrom(o *paramSets) {
	p.vps = append(p.vps[:0], o.vps...)
	p.sps = append(p.sps[:0], o.sps...)
	p.pps = append(p.pps[:0], o.pps...)
}

func equalSets(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// parseConfig collects the parameter sets of an Annex-B Track.Config.
func parseConfig(codec hub.Codec, config []byte) paramSets {
	var p paramSets
	it := annexB{rest: config}
	for n := it.next(); n != nil; n = it.next() {
		p.add(codec, n)
	}
	return p
}

// videoSize returns the picture size coded in the first SPS.
func videoSize(codec hub.Codec, p *paramSets) (w, h int, err error) {
	if len(p.sps) == 0 {
		return 0, 0, errParams
	}
	if codec == hub.H264 {
		var s h264.SPS
		if err := s.Unmarshal(p.sps[0]); err != nil {
			return 0, 0, err
		}
		return s.Width(), s.Height(), nil
	}
	var s h265.SPS
	if err := s.Unmarshal(p.sps[0]); err != nil {
		return 0, 0, err
	}
	return s.Width(), s.Height(), nil
}

// appendAVCConfig appends an AVCDecoderConfigurationRecord
// (ISO/IEC 14496-15 5.3.3.1) with 4-byte NAL lengths.
func appendAVCConfig(dst []byte, p *paramSets) ([]byte, error) {
	if len(p.sps) == 0 || len(p.pps) == 0 || len(p.sps) > 31 || len(p.pps) > 255 {
		return dst, errParams
	}
	sps := p.sps[0]
	if len(sps) < 4 {
		return dst, errParams
	}
	var s h264.SPS
	if err := s.Unmarshal(sps); err != nil {
		return dst, err
	}
	dst = append(dst, 1, sps[1], sps[2], sps[3],
		0xfc|3, // reserved, lengthSizeMinusOne = 3
		0xe0|byte(len(p.sps)))
	for _, n := range p.sps {
		if len(n) > 0xffff {
			return dst, errParams
		}
		dst = append(dst, byte(len(n)>>8), byte(len(n)))
		dst = append(dst, n...)
	}
	dst = append(dst, byte(len(p.pps)))
	for _, n := range p.pps {
		if len(n) > 0xffff {
			return dst, errParams
		}
		dst = append(dst, byte(len(n)>>8), byte(len(n)))
		dst = append(dst, n...)
	}
	// The high profiles carry the chroma format and bit depths too
	// (14496-15 5.3.3.1.1); decoders that follow the spec expect them.
	switch sps[1] {
	case 100, 110, 122, 144:
		dst = append(dst,
			0xfc|byte(s.ChromaFormatIdc&3),
			0xf8|byte(s.BitDepthLumaMinus8&7),
			0xf8|byte(s.BitDepthChromaMinus8&7),
			0) // numOfSequenceParameterSetExt
	}
	return dst, nil
}

// appendHEVCConfig appends an HEVCDecoderConfigurationRecord
// (ISO/IEC 14496-15 8.3.3.1) with 4-byte NAL lengths and one array per
// parameter set type.
func appendHEVCConfig(dst []byte, p *paramSets) ([]byte, error) {
	if !p.complete(hub.H265) || len(p.vps) > 0xffff || len(p.sps) > 0xffff || len(p.pps) > 0xffff {
		return dst, errParams
	}
	var s h265.SPS
	if err := s.Unmarshal(p.sps[0]); err != nil {
		return dst, err
	}
	// profile_tier_level's general part is the 12 bytes after the NAL
	// header and the VPS id/sub-layer byte, once emulation prevention bytes
	// are removed; copying it keeps the constraint flags exact.
	rbsp := h264.EmulationPreventionRemove(p.sps[0])
	if len(rbsp) < 15 {
		return dst, errParams
	}
	ptl := rbsp[3:15]
	nested := byte(0)
	if s.TemporalIDNestingFlag {
		nested = 1
	}
	dst = append(dst, 1)
	dst = append(dst, ptl[:11]...) // profile space/tier/idc, compatibility, constraint flags
	dst = append(dst, ptl[11],     // general_level_idc
		0xf0, 0x00, // min_spatial_segmentation_idc = 0
		0xfc,                           // parallelismType = 0
		0xfc|byte(s.ChromaFormatIdc&3), // chromaFormat
		0xf8|byte(s.BitDepthLumaMinus8&7),
		0xf8|byte(s.BitDepthChromaMinus8&7),
		0, 0, // avgFrameRate
		(s.MaxSubLayersMinus1+1)&7<<3|nested<<2|3, // constantFrameRate 0, layers, nested, lengthSizeMinusOne 3
		3) // numOfArrays
	for _, a := range [...]struct {
		typ   byte
		nalus [][]byte
	}{{h265NALVPS, p.vps}, {h265NALSPS, p.sps}, {h265NALPPS, p.pps}} {
		dst = append(dst, 0x80|a.typ, byte(len(a.nalus)>>8), byte(len(a.nalus)))
		for _, n := range a.nalus {
			if len(n) > 0xffff {
				return dst, errParams
			}
			dst = append(dst, byte(len(n)>>8), byte(len(n)))
			dst = append(dst, n...)
		}
	}
	return dst, nil
}
