// Package send is the sending half of GB/T 28181 PS-over-RTP: it cuts the
// MPEG Program Stream bytes of one frame into RTP packets and frames them for
// TCP (RFC 4571). Devices (the reference device in cmd/gbdevice) and the
// tests of package psrtp use it to produce exactly what cameras send:
//
//	p := send.NewPacketizer(ssrc)                 // SSRC from the SDP "y=" line
//	for _, pkt := range p.Packetize(ps, ts90k) {  // one call per frame
//		udpConn.Write(pkt)                        // UDP: one datagram each
//		// or: send.WriteRFC4571(tcpConn, pkt)    // TCP: 2-byte length prefix
//	}
//
// The package depends only on the standard library so that device code can
// import it without pulling in the receiver.
package send

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// Defaults used by NewPacketizer.
const (
	// PayloadTypePS is the RTP payload type GB/T 28181 assigns to the MPEG
	// Program Stream ("a=rtpmap:96 PS/90000").
	PayloadTypePS = 96
	// DefaultMaxPayload keeps a packet (12-byte header + payload) inside a
	// 1500-byte Ethernet MTU with room for IP/UDP headers.
	DefaultMaxPayload = 1400
)

// Packetizer turns the PS bytes of one frame at a time into RTP packets with
// consecutive sequence numbers, one 90 kHz timestamp per frame and the
// marker bit on the frame's last packet. It is not safe for concurrent use.
type Packetizer struct {
	// SSRC is written into every packet.
	SSRC uint32
	// PayloadType defaults to PayloadTypePS (96).
	PayloadType uint8
	// MaxPayload is the most PS bytes per packet (DefaultMaxPayload).
	MaxPayload int

	seq uint16
}

// NewPacketizer returns a packetizer for ssrc with payload type 96, payloads
// of at most 1400 bytes and a random initial sequence number (RFC 3550 5.1).
func NewPacketizer(ssrc uint32) *Packetizer {
	return &Packetizer{SSRC: ssrc, PayloadType: PayloadTypePS, MaxPayload: DefaultMaxPayload, seq: uint16(rand.Uint32())}
}

// Sequence returns the sequence number the next packet will carry.
func (p *Packetizer) Sequence() uint16 { return p.seq }

// SetSequence sets the sequence number of the next packet.
func (p *Packetizer) SetSequence(seq uint16) { p.seq = seq }

// Packetize returns the RTP packets (header and payload, ready to send) that
// carry ps, the Program Stream bytes of one frame, with RTP timestamp ts
// (90 kHz clock, normally the frame's PTS truncated to 32 bits). An empty ps
// gives no packets. The packets share one backing array.
func (p *Packetizer) Packetize(ps []byte, ts uint32) [][]byte {
	max := p.MaxPayload
	if max <= 0 {
		max = DefaultMaxPayload
	}
	pt := p.PayloadType
	if pt == 0 {
		pt = PayloadTypePS
	}
	n := (len(ps) + max - 1) / max
	if n == 0 {
		return nil
	}
	const hdrLen = 12 // no CSRC, no extension
	buf := make([]byte, n*hdrLen+len(ps))
	out := make([][]byte, 0, n)
	for len(ps) > 0 {
		chunk := ps[:min(len(ps), max)]
		ps = ps[len(chunk):]
		pkt := buf[:hdrLen+len(chunk)]
		buf = buf[len(pkt):]
		// RFC 3550 5.1: V=2, no padding, no extension, no CSRC.
		pkt[0] = 2 << 6
		pkt[1] = pt & 0x7F
		if len(ps) == 0 {
			pkt[1] |= 0x80 // marker: last packet of the frame
		}
		binary.BigEndian.PutUint16(pkt[2:], p.seq)
		binary.BigEndian.PutUint32(pkt[4:], ts)
		binary.BigEndian.PutUint32(pkt[8:], p.SSRC)
		p.seq++
		copy(pkt[hdrLen:], chunk)
		out = append(out, pkt)
	}
	return out
}

// ErrTooLarge is returned by WriteRFC4571 for packets that do not fit the
// 16-bit length prefix.
var ErrTooLarge = errors.New("send: RTP packet larger than 65535 bytes")

// WriteRFC4571 writes pkt to w with the RFC 4571 framing GB/T 28181 uses on
// TCP: a 2-byte big-endian length, then the RTP packet. Both go out in one
// Write call, so whole packets from several goroutines never interleave.
func WriteRFC4571(w io.Writer, pkt []byte) error {
	if len(pkt) > 0xFFFF {
		return ErrTooLarge
	}
	b := make([]byte, 2+len(pkt))
	b[0], b[1] = byte(len(pkt)>>8), byte(len(pkt))
	copy(b[2:], pkt)
	_, err := w.Write(b)
	return err
}

// ParseSSRC parses a GB/T 28181 SSRC, the 10 decimal digits of the SDP "y="
// line (e.g. "0100000001"), into the 32-bit RTP SSRC it denotes.
func ParseSSRC(y string) (uint32, error) {
	if len(y) != 10 {
		return 0, fmt.Errorf("send: SSRC %q: want 10 decimal digits", y)
	}
	for _, c := range y {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("send: SSRC %q: want 10 decimal digits", y)
		}
	}
	v, err := strconv.ParseUint(y, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("send: SSRC %q does not fit 32 bits", y)
	}
	return uint32(v), nil
}

// FormatSSRC returns the 10-digit decimal form of ssrc used in SDP "y=" lines.
func FormatSSRC(ssrc uint32) string { return fmt.Sprintf("%010d", ssrc) }
