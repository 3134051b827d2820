package mpegps

// maxPESPayload is the largest PES payload the muxer writes per packet
// (65535 minus the largest header it emits).
const maxPESPayload = 65535 - 13

// Muxer writes Program Stream packs from frames, in the layout GB/T 28181
// cameras use: every frame gets a pack header; video keyframes (and the
// first frame) are preceded by a system header and a Program Stream Map;
// video access units larger than one PES are split into several PES packets
// that all carry the frame's PTS/DTS. It is not safe for concurrent use.
type Muxer struct {
	video, audio Codec
	started      bool
	version      uint8

	// test knobs
	maxPES    int  // payload bytes per PES; 0 means maxPESPayload
	unbounded bool // write video as a single PES with PES_packet_length 0
	noPSM     bool // never write system header / PSM
}

// NewMuxer returns a muxer for one video stream (id 0xE0) and one audio
// stream (id 0xC0). Pass Unknown for an absent stream.
func NewMuxer(video Codec, audio Codec) *Muxer {
	return &Muxer{video: video, audio: audio}
}

// Write returns the PS bytes for f. f.StreamID selects the PES stream id; if
// zero, 0xE0 is used for video codecs and 0xC0 otherwise. Timestamps < 0 are
// omitted.
func (m *Muxer) Write(f Frame) []byte {
	id := f.StreamID
	if id == 0 {
		if f.Codec.IsVideo() {
			id = 0xE0
		} else {
			id = 0xC0
		}
	}
	video := isVideoID(id)
	scr := f.DTS
	if scr < 0 {
		scr = f.PTS
	}
	if scr < 0 {
		scr = 0
	}
	out := make([]byte, 0, len(f.Data)+64+len(f.Data)/maxPESPayload*16)
	out = appendPack(out, scr)
	if !m.noPSM && (!m.started || (video && f.Keyframe)) {
		out = m.appendSystemHeader(out)
		out = m.appendPSM(out)
	}
	m.started = true
	if video && m.unbounded {
		return appendPES(out, id, f.PTS, f.DTS, f.Data, true)
	}
	max := m.maxPES
	if max <= 0 || max > maxPESPayload {
		max = maxPESPayload
	}
	data := f.Data
	for first := true; first || len(data) > 0; first = false {
		n := min(len(data), max)
		out = appendPES(out, id, f.PTS, f.DTS, data[:n], false)
		data = data[n:]
	}
	return out
}

func appendPack(out []byte, scr int64) []byte {
	scr &= 1<<33 - 1
	muxRate := uint32(0x3FFFFF) // 50 byte/s units
	return append(out, 0, 0, 1, 0xBA,
		0x44|uint8(scr>>27)&0x38|uint8(scr>>28)&0x03,
		uint8(scr>>20),
		uint8(scr>>12)&0xF8|0x04|uint8(scr>>13)&0x03,
		uint8(scr>>5),
		uint8(scr<<3)|0x04, // SCR ext = 0
		0x01,
		uint8(muxRate>>14), uint8(muxRate>>6), uint8(muxRate<<2)|0x03,
		0xF8, // reserved, stuffing length 0
	)
}

func (m *Muxer) streams() (ids []uint8, types []uint8) {
	if t := streamTypeOf(m.video); m.video != Unknown {
		ids, types = append(ids, 0xE0), append(types, t)
	}
	if t := streamTypeOf(m.audio); m.audio != Unknown {
		ids, types = append(ids, 0xC0), append(types, t)
	}
	return
}

func (m *Muxer) appendSystemHeader(out []byte) []byte {
	ids, _ := m.streams()
	l := 6 + 3*len(ids)
	out = append(out, 0, 0, 1, 0xBB, uint8(l>>8), uint8(l),
		0x80|0x3F>>1, 0xFF, 0xFF, // marker, rate_bound, marker
		0x06, // audio_bound=1, fixed=1, CSPS=0
		0xE1, // locks, marker, video_bound=1
		0xFF)
	for _, id := range ids {
		if isVideoID(id) {
			out = append(out, id, 0xE0, 0x80) // scale 1, 128*1024
		} else {
			out = append(out, id, 0xC0, 0x20) // scale 0, 32*128
		}
	}
	return out
}

func (m *Muxer) appendPSM(out []byte) []byte {
	ids, types := m.streams()
	l := 10 + 4*len(ids)
	start := len(out)
	out = append(out, 0, 0, 1, 0xBC, uint8(l>>8), uint8(l),
		0xE0|m.version&0x1F, 0xFF, 0, 0, 0, uint8(4*len(ids)))
	for i, id := range ids {
		out = append(out, types[i], id, 0, 0)
	}
	crc := crc32MPEG(out[start:])
	return append(out, uint8(crc>>24), uint8(crc>>16), uint8(crc>>8), uint8(crc))
}

func appendPES(out []byte, id uint8, pts, dts int64, data []byte, unbounded bool) []byte {
	flags, hdl := uint8(0), 0
	if pts >= 0 {
		flags, hdl = 2, 5
		if dts >= 0 && dts != pts {
			flags, hdl = 3, 10
		}
	}
	l := 3 + hdl + len(data)
	if unbounded {
		l = 0
	}
	out = append(out, 0, 0, 1, id, uint8(l>>8), uint8(l), 0x80, flags<<6, uint8(hdl))
	if flags >= 2 {
		var ts [10]byte
		putTS(ts[:5], flags, pts)
		if flags == 3 {
			putTS(ts[5:], 1, dts)
		}
		out = append(out, ts[:hdl]...)
	}
	return append(out, data...)
}

func crc32MPEG(b []byte) uint32 {
	crc := uint32(0xFFFFFFFF)
	for _, c := range b {
		crc ^= uint32(c) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04C11DB7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}
