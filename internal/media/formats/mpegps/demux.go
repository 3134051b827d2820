package mpegps

import (
	"errors"
)

// MaxFrameSize is the largest access unit the demuxer assembles. Larger
// frames are discarded and counted in [Stats.Dropped].
const MaxFrameSize = 8 << 20

// ErrCorrupt is returned by [Demuxer.Write] when malformed bytes were skipped
// during the call. It is informational: the demuxer has already
// resynchronised and any frames returned alongside it are valid.
var ErrCorrupt = errors.New("mpegps: corrupt data skipped")

// Codec identifies the elementary stream codec of a [Frame].
type Codec int

// Codecs recognised by the demuxer.
const (
	Unknown Codec = iota
	H264
	H265
	G711A
	G711U
	AAC
)

// String returns a short name of the codec.
func (c Codec) String() string {
	switch c {
	case H264:
		return "H264"
	case H265:
		return "H265"
	case G711A:
		return "G711A"
	case G711U:
		return "G711U"
	case AAC:
		return "AAC"
	}
	return "Unknown"
}

// IsVideo reports whether c is a video codec.
func (c Codec) IsVideo() bool { return c == H264 || c == H265 }

// codecFromStreamType maps a PSM stream_type to a Codec.
func codecFromStreamType(t uint8) Codec {
	switch t {
	case 0x1B:
		return H264
	case 0x24:
		return H265
	case 0x90:
		return G711A
	case 0x91:
		return G711U
	case 0x0F:
		return AAC
	}
	return Unknown
}

// streamTypeOf maps a Codec to a PSM stream_type (0 for Unknown).
func streamTypeOf(c Codec) uint8 {
	switch c {
	case H264:
		return 0x1B
	case H265:
		return 0x24
	case G711A:
		return 0x90
	case G711U:
		return 0x91
	case AAC:
		return 0x0F
	}
	return 0
}

// Frame is one elementary-stream access unit.
type Frame struct {
	// StreamID is the PES stream_id (0xE0–0xEF video, 0xC0–0xDF audio).
	StreamID uint8
	// Codec is taken from the PSM, or guessed when no PSM was seen.
	Codec Codec
	// PTS and DTS are 33-bit 90 kHz timestamps, -1 when absent. DTS is -1
	// when the stream carried only a PTS.
	PTS, DTS int64
	// Data is the Annex-B byte stream for video, raw payload for audio.
	// It is owned by the caller.
	Data []byte
	// Keyframe is set for H.264 frames containing an IDR slice or SPS and
	// for H.265 frames containing an IRAP picture (NAL types 16–21). It is
	// always false for audio.
	Keyframe bool
}

// Stats holds demuxer counters.
type Stats struct {
	Packs   uint64 // pack headers parsed
	PES     uint64 // audio/video PES packets parsed
	Frames  uint64 // frames returned
	Dropped uint64 // frames discarded (larger than MaxFrameSize, or incomplete at Reset)
	Resyncs uint64 // times the demuxer lost sync and scanned for a start code
}

type pending struct {
	pts, dts int64
	data     []byte
	drop     bool
}

// Demuxer splits a Program Stream into elementary-stream frames. It is not
// safe for concurrent use.
type Demuxer struct {
	buf       []byte
	unbounded int // stream id of the unbounded PES in progress, or -1
	resyncing bool
	pend      [256]*pending
	vs        [16]*auSplitter // H.264/H.265 streams 0xE0–0xEF
	psm       [256]Codec
	psmSet    [256]bool
	stats     Stats
}

// NewDemuxer returns an empty demuxer.
func NewDemuxer() *Demuxer {
	return &Demuxer{unbounded: -1}
}

// Stats returns a snapshot of the counters.
func (d *Demuxer) Stats() Stats { return d.stats }

// Reset drops all partial state (buffered bytes and incomplete frames); call
// it after the transport reported a gap. The stream map learnt from the PSM is
// kept. Incomplete frames are counted as dropped.
func (d *Demuxer) Reset() {
	d.buf = d.buf[:0]
	d.unbounded = -1
	d.resyncing = false
	for i, p := range d.pend {
		if p != nil {
			d.stats.Dropped++
			d.pend[i] = nil
		}
	}
	for _, s := range d.vs {
		if s != nil {
			if s.started && len(s.buf) > 0 {
				d.stats.Dropped++
			}
			*s = auSplitter{codec: s.codec}
		}
	}
}

// Flush completes and returns all pending frames, including the tail of an
// unbounded PES. Use it at end of stream.
func (d *Demuxer) Flush() []Frame {
	var out []Frame
	if d.unbounded >= 0 {
		id := uint8(d.unbounded)
		d.pesData(id, d.buf, &out)
		d.buf = d.buf[:0]
		d.unbounded = -1
	}
	for i, s := range d.vs {
		if s != nil {
			s.flush(d.emitAU(uint8(0xE0+i), s.codec, &out))
		}
	}
	for id := range d.pend {
		if d.pend[id] != nil {
			d.emit(uint8(id), &out)
		}
	}
	return out
}

func isVideoID(id uint8) bool { return id >= 0xE0 && id <= 0xEF }
func isAudioID(id uint8) bool { return id >= 0xC0 && id <= 0xDF }

// resyncID reports whether id is one of the start codes the demuxer scans
// for after losing sync.
func resyncID(id uint8) bool {
	return id == 0xBA || id == 0xBB || id == 0xBC || isVideoID(id) || isAudioID(id)
}

// acceptID reports whether a start code at the current position is parsed
// (in addition to resyncID, other PES-format packets are skipped by length).
func acceptID(id uint8) bool { return id >= 0xB9 }

func isStart(b []byte, i int) bool { return b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 }

// findStart returns the index of the next start code 00 00 01 X with ok(X)
// at or after from, or -1.
func findStart(b []byte, from int, ok func(uint8) bool) int {
	for i := from; i+3 < len(b); i++ {
		if b[i+2] > 1 {
			i += 2
			continue
		}
		if isStart(b, i) && ok(b[i+3]) {
			return i
		}
	}
	return -1
}

// Write feeds the next bytes of the stream and returns the frames completed
// by them. All of p is consumed. A non-nil error (always [ErrCorrupt])
// reports that malformed data was skipped; the returned frames are valid.
func (d *Demuxer) Write(p []byte) ([]Frame, error) {
	d.buf = append(d.buf, p...)
	var out []Frame
	corrupt := false
	pos := 0
	for {
		b := d.buf[pos:]
		if d.unbounded >= 0 {
			id := uint8(d.unbounded)
			i := findStart(b, 0, acceptID)
			if i < 0 {
				if n := len(b) - 3; n > 0 {
					d.pesData(id, b[:n], &out)
					pos += n
				}
				break
			}
			d.pesData(id, b[:i], &out)
			pos += i
			d.unbounded = -1
			d.pesEnd(id, &out)
			continue
		}
		if len(b) < 4 {
			break
		}
		// While resynchronising only the start codes listed in resyncID are
		// accepted, so the result does not depend on how input is chunked.
		ok := acceptID
		if d.resyncing {
			ok = resyncID
		}
		if !isStart(b, 0) || !ok(b[3]) {
			if !d.resyncing {
				d.resyncing = true
				d.stats.Resyncs++
			}
			corrupt = true
			i := findStart(b, 1, resyncID)
			if i < 0 {
				if n := len(b) - 3; n > 0 {
					pos += n
				}
				break
			}
			pos += i
			continue
		}
		n := d.parsePacket(b, &out)
		if n == 0 {
			break
		}
		if n < 0 {
			// Malformed: skip the start code and rescan.
			corrupt = true
			if !d.resyncing {
				d.resyncing = true
				d.stats.Resyncs++
			}
			pos++
			continue
		}
		d.resyncing = false
		pos += n
	}
	rest := copy(d.buf, d.buf[pos:])
	d.buf = d.buf[:rest]
	if cap(d.buf) > 1<<20 && rest < 1<<16 {
		d.buf = append([]byte(nil), d.buf...)
	}
	if corrupt {
		return out, ErrCorrupt
	}
	return out, nil
}

// parsePacket parses the packet starting at b[0:4] (a start code). It returns
// the number of bytes consumed, 0 if more data is needed, or -1 if malformed.
func (d *Demuxer) parsePacket(b []byte, out *[]Frame) int {
	id := b[3]
	switch {
	case id == 0xB9: // program end code
		return 4
	case id == 0xBA:
		return d.parsePack(b, out)
	}
	if len(b) < 6 {
		return 0
	}
	l := int(b[4])<<8 | int(b[5])
	if id == 0xBC {
		if len(b) < 6+l {
			return 0
		}
		if !d.parsePSM(b[6 : 6+l]) {
			return -1
		}
		return 6 + l
	}
	if !isVideoID(id) && !isAudioID(id) {
		// System header, private/padding streams etc.: skip by length.
		if id == 0xBB && l < 6 {
			return -1
		}
		if len(b) < 6+l {
			return 0
		}
		return 6 + l
	}
	if l == 0 {
		hl, pts, dts, st := parsePESHeader(b[6:])
		if st == 0 {
			if len(b)-6 > 3+255 {
				return -1 // cannot be a valid header
			}
			return 0
		}
		if st < 0 {
			return -1
		}
		d.stats.PES++
		d.pesStart(id, pts, dts, out)
		d.unbounded = int(id)
		return 6 + hl
	}
	if len(b) < 6+l {
		return 0
	}
	pkt := b[6 : 6+l]
	hl, pts, dts, st := parsePESHeader(pkt)
	if st <= 0 {
		return -1
	}
	d.stats.PES++
	d.pesStart(id, pts, dts, out)
	d.pesData(id, pkt[hl:], out)
	d.pesEnd(id, out)
	return 6 + l
}

func (d *Demuxer) parsePack(b []byte, out *[]Frame) int {
	if len(b) < 5 {
		return 0
	}
	n := 0
	switch {
	case b[4]>>6 == 1: // MPEG-2
		if len(b) < 14 {
			return 0
		}
		if b[4]&0x04 == 0 || b[6]&0x04 == 0 || b[8]&0x04 == 0 || b[9]&0x01 == 0 || b[12]&0x03 != 0x03 {
			return -1
		}
		n = 14 + int(b[13]&0x07)
	case b[4]>>4 == 2: // MPEG-1
		n = 12
	default:
		return -1
	}
	if len(b) < n {
		return 0
	}
	d.stats.Packs++
	// A pack header completes pending video frames that carry no PTS.
	for id := 0xE0; id <= 0xEF; id++ {
		if p := d.pend[id]; p != nil && p.pts < 0 {
			d.emit(uint8(id), out)
		}
	}
	return n
}

// parsePSM parses a program_stream_map body (after the length field).
func (d *Demuxer) parsePSM(p []byte) bool {
	if len(p) < 10 { // 2 flags + 2 info len + 2 map len + 4 CRC
		return false
	}
	infoLen := int(p[2])<<8 | int(p[3])
	i := 4 + infoLen
	if i+2 > len(p)-4 {
		return false
	}
	mapLen := int(p[i])<<8 | int(p[i+1])
	i += 2
	end := i + mapLen
	if end > len(p)-4 {
		return false
	}
	var ids, types [64]uint8
	n := 0
	for i < end {
		if i+4 > end {
			return false
		}
		st, id := p[i], p[i+1]
		infoLen := int(p[i+2])<<8 | int(p[i+3])
		i += 4 + infoLen
		if i > end {
			return false
		}
		if n < len(ids) {
			ids[n], types[n] = id, st
			n++
		}
	}
	for k := 0; k < n; k++ {
		d.psm[ids[k]] = codecFromStreamType(types[k])
		d.psmSet[ids[k]] = true
	}
	return true
}

// parseTS decodes a 5-byte PTS/DTS field.
func parseTS(b []byte) int64 {
	return int64(b[0]>>1&0x07)<<30 | int64(b[1])<<22 | int64(b[2]>>1)<<15 |
		int64(b[3])<<7 | int64(b[4]>>1)
}

// putTS encodes ts into a 5-byte PTS/DTS field with the 4-bit prefix.
func putTS(b []byte, prefix uint8, ts int64) {
	ts &= 1<<33 - 1
	b[0] = prefix<<4 | uint8(ts>>29)&0x0E | 1
	b[1] = uint8(ts >> 22)
	b[2] = uint8(ts>>14)&0xFE | 1
	b[3] = uint8(ts >> 7)
	b[4] = uint8(ts<<1) | 1
}

// parsePESHeader parses the PES header following PES_packet_length. It
// returns the header length, PTS, DTS and a status: 1 ok, 0 need more data,
// -1 malformed.
func parsePESHeader(h []byte) (n int, pts, dts int64, st int) {
	pts, dts = -1, -1
	if len(h) < 1 {
		return 0, pts, dts, 0
	}
	if h[0]>>6 == 2 { // MPEG-2
		if len(h) < 3 {
			return 0, pts, dts, 0
		}
		flags := h[1] >> 6
		hdl := int(h[2])
		if len(h) < 3+hdl {
			return 0, pts, dts, 0
		}
		switch flags {
		case 2:
			if hdl < 5 {
				return 0, pts, dts, -1
			}
			pts = parseTS(h[3:8])
		case 3:
			if hdl < 10 {
				return 0, pts, dts, -1
			}
			pts = parseTS(h[3:8])
			dts = parseTS(h[8:13])
		}
		return 3 + hdl, pts, dts, 1
	}
	// MPEG-1 PES header.
	i := 0
	for ; i < len(h) && h[i] == 0xFF; i++ {
		if i >= 16 {
			return 0, pts, dts, -1
		}
	}
	if i >= len(h) {
		return 0, pts, dts, 0
	}
	if h[i]>>6 == 1 { // STD buffer
		i += 2
		if i >= len(h) {
			return 0, pts, dts, 0
		}
	}
	switch {
	case h[i]>>4 == 2:
		if len(h) < i+5 {
			return 0, pts, dts, 0
		}
		pts = parseTS(h[i:])
		i += 5
	case h[i]>>4 == 3:
		if len(h) < i+10 {
			return 0, pts, dts, 0
		}
		pts = parseTS(h[i:])
		dts = parseTS(h[i+5:])
		i += 10
	case h[i] == 0x0F:
		i++
	default:
		return 0, pts, dts, -1
	}
	return i, pts, dts, 1
}

// nalMode reports whether video stream id is parsed as H.264/H.265 Annex-B
// (true unless the PSM declared a non-H.264/H.265 codec).
func (d *Demuxer) nalMode(id uint8) bool {
	return isVideoID(id) && (!d.psmSet[id] || d.psm[id].IsVideo())
}

func (d *Demuxer) splitter(id uint8) *auSplitter {
	s := d.vs[id-0xE0]
	if s == nil {
		s = &auSplitter{}
		d.vs[id-0xE0] = s
	}
	if d.psmSet[id] {
		s.codec = d.psm[id]
	}
	return s
}

func (d *Demuxer) emitAU(id uint8, c Codec, out *[]Frame) func([]byte, int64, int64) {
	return func(data []byte, pts, dts int64) {
		if data == nil {
			d.stats.Dropped++
			return
		}
		d.stats.Frames++
		*out = append(*out, Frame{StreamID: id, Codec: c, PTS: pts, DTS: dts, Data: data, Keyframe: isKeyframe(c, data)})
	}
}

func (d *Demuxer) pesStart(id uint8, pts, dts int64, out *[]Frame) {
	if d.nalMode(id) {
		if d.pend[id] != nil {
			d.emit(id, out)
		}
		d.splitter(id).setTS(pts, dts)
		return
	}
	if isVideoID(id) {
		if s := d.vs[id-0xE0]; s != nil {
			s.flush(d.emitAU(id, s.codec, out))
		}
	}
	if p := d.pend[id]; p != nil {
		if isVideoID(id) && (pts < 0 || pts == p.pts) {
			return // continuation of the pending access unit
		}
		d.emit(id, out)
	}
	d.pend[id] = &pending{pts: pts, dts: dts}
}

func (d *Demuxer) pesData(id uint8, b []byte, out *[]Frame) {
	if d.nalMode(id) {
		s := d.splitter(id)
		s.write(b, func(data []byte, pts, dts int64) { d.emitAU(id, s.codec, out)(data, pts, dts) })
		return
	}
	p := d.pend[id]
	if p == nil || p.drop || len(b) == 0 {
		return
	}
	if len(p.data)+len(b) > MaxFrameSize {
		p.drop = true
		p.data = nil
		return
	}
	p.data = append(p.data, b...)
}

func (d *Demuxer) pesEnd(id uint8, out *[]Frame) {
	if !isVideoID(id) {
		d.emit(id, out)
	}
}

func (d *Demuxer) emit(id uint8, out *[]Frame) {
	p := d.pend[id]
	d.pend[id] = nil
	if p == nil {
		return
	}
	if p.drop {
		d.stats.Dropped++
		return
	}
	f := Frame{StreamID: id, PTS: p.pts, DTS: p.dts, Data: p.data}
	f.Codec = d.codecFor(id)
	if f.Codec.IsVideo() {
		f.Keyframe = isKeyframe(f.Codec, p.data)
	}
	d.stats.Frames++
	*out = append(*out, f)
}

func (d *Demuxer) codecFor(id uint8) Codec {
	if d.psmSet[id] {
		return d.psm[id]
	}
	if isAudioID(id) {
		return G711A
	}
	return Unknown
}

// nalUnits calls fn with the first two header bytes (second may be 0) of
// each NAL unit in the Annex-B stream b.
func nalUnits(b []byte, fn func(h0, h1 byte) bool) {
	for i := 0; i+3 < len(b); i++ {
		if b[i] == 0 && b[i+1] == 0 && b[i+2] == 1 {
			var h1 byte
			if i+4 < len(b) {
				h1 = b[i+4]
			}
			if !fn(b[i+3], h1) {
				return
			}
			i += 2
		}
	}
}

// sniffNAL guesses H.264 vs H.265 from the first two bytes of a NAL unit:
// an H.265 header has nuh_layer_id 0 and nuh_temporal_id_plus1 1 for the
// NAL types cameras emit; everything else is taken as H.264.
func sniffNAL(h0, h1 byte) Codec {
	if h0&0x81 == 0 && h1 == 0x01 {
		switch (h0 >> 1) & 0x3F {
		case 0, 1, 16, 17, 18, 19, 20, 21, 32, 33, 34, 35, 39, 40:
			return H265
		}
	}
	return H264
}

func isKeyframe(c Codec, b []byte) bool {
	key := false
	nalUnits(b, func(h0, _ byte) bool {
		if c == H264 {
			t := h0 & 0x1F
			key = t == 5 || t == 7
		} else {
			t := (h0 >> 1) & 0x3F
			key = t >= 16 && t <= 21
		}
		return !key
	})
	return key
}
