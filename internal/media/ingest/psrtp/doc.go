// Package psrtp receives GB/T 28181 media — an MPEG-2 Program Stream (PS)
// carried in RTP with payload type 96 — and publishes each session as a
// path on the media hub, so that every vionet output (RTSP, RTMP, HTTP-FLV,
// HLS, the recorder) can serve a camera the moment it sends a keyframe.
//
// # Sessions and transports
//
// The application opens a session before it sends the INVITE, puts
// Session.LocalPort and the SSRC into the SDP offer, and then waits:
//
//	y := r.AllocSSRC(false, sipDomain)               // SDP "y=" line
//	s, err := r.Open(ctx, psrtp.Request{Path: p, SSRC: y, Transport: psrtp.UDP, ExpectFrom: deviceIP})
//	// INVITE with m=video <s.LocalPort()> RTP/AVP 96 ... y=<y>
//	err = s.Wait(ctx)                                // published, or why not
//
// Three transports exist, chosen by the SDP exchange:
//
//   - UDP: the device sends datagrams to LocalPort.
//   - TCPPassive (vionet a=setup:passive): vionet listens on LocalPort, the
//     device connects and sends RTP framed per RFC 4571 (a 2-byte big-endian
//     length before each packet).
//   - TCPActive (vionet a=setup:active): the device listens; after its SDP
//     answer the application calls Session.Connect with the answer's
//     address. LocalPort is 9, the port RFC 4145 says an active side offers.
//
// A Receiver runs in one of two modes. Port-range mode (Options.PortMin,
// PortMax) gives every session its own port — for UDP an even/odd pair, RTP
// on P and RTCP on P+1 — so sessions are told apart by port. Shared mode
// (Options.SharedAddr) receives every session on one UDP socket and one TCP
// listener bound to the same port and tells sessions apart by SSRC; it needs
// a single firewall opening, which is what large deployments want.
//
// # SSRC rules
//
// GB/T 28181 SSRCs are 10 decimal digits: 0 for live or 1 for playback,
// digits 4–8 of the 10-digit SIP domain, and a 4-digit sequence unique among
// open sessions (Receiver.AllocSSRC). The RTP SSRC field carries the decimal
// value. Many cameras ignore the offered SSRC, so:
//
//   - Port-range mode locks onto the first SSRC that arrives on the port and
//     refuses others; packets whose SSRC is not the offered one are counted
//     (SessionStats.WrongSSRC) but accepted.
//   - Shared mode routes by SSRC. A packet with an unknown SSRC is bound to
//     a session only when exactly one session still waiting for its first
//     packet has ExpectFrom equal to the packet's source IP (and the same
//     UDP/TCP kind); its packets are then counted as wrong-SSRC. Anything
//     else is dropped and counted in ReceiverStats.UnknownSSRC, and remembered
//     for the diagnosis.
//   - Options.StrictSSRC turns both leniencies off: only the offered SSRC is
//     accepted.
//
// RTCP (RTP version 2 with packet type 200–204, RFC 5761) is recognised on
// the RTP port, on port+1 and inside TCP streams; it is counted and never
// fed to the demuxer. Packets with another payload type than 96 are counted
// and dropped.
//
// # From packets to hub units
//
// Packets go through a jitter buffer that restores sequence order (at most
// Options.JitterPackets packets, a hole waits at most Options.JitterDelay;
// over TCP a hole is loss at once). Loss resets the PS demuxer (package
// mpegps) and drops video until the next keyframe, so readers never get a
// frame that references missing data. The path is published once a video
// keyframe arrives together with its parameter sets: the track's Config is
// the parameter sets as Annex-B and its Width/Height come from the SPS. An
// audio track (G.711 A/µ-law, or AAC whose configuration comes from the ADTS
// header; the hub gets raw AAC frames) is included if the Program Stream Map
// or an audio frame announced it before that keyframe. Timestamps come from
// the PES PTS/DTS (90 kHz); frames without one use the RTP timestamp. Both
// are unwrapped, so output stays monotonic across the 33-bit PTS and 32-bit
// RTP wraps, and a jump of more than 10 s is taken as a clock reset.
//
// # Diagnosis
//
// A stream that does not come up ends its session with an error naming the
// cause, testable with errors.Is:
//
//   - ErrNoRTP: nothing arrived within Options.NoRTPTimeout ("no RTP at all
//     on UDP port 30000 within 5s"), or only non-RTP data or RTCP.
//   - ErrWrongSSRC: packets arrived with another SSRC and could not be
//     accepted; the message names the expected and the seen SSRC and the
//     source address.
//   - ErrTCPConnect: the active connect failed (the dial error is wrapped).
//   - ErrNotPS: the payload type is not 96, or 200 packets brought no PS
//     pack header or PES start code.
//   - ErrNoKeyframe: RTP arrived but no keyframe with parameter sets within
//     Options.KeyframeTimeout (no video, no keyframe, no SPS/PPS, or an
//     unsupported codec — the message says which).
//   - ErrStalled: a running stream stopped for NoRTPTimeout; the hub path is
//     closed.
//
// # Bounds
//
// Every queue is bounded: 512 packets per session between the socket and
// the session goroutine (UDP beyond it is dropped and counted, TCP waits),
// the jitter buffer in packets and bytes, 64 unrouted TCP connections per
// shared listener, 32 remembered unknown sources, and the demuxer's own
// frame limit. Hostile input is handled without panics (FuzzRTPPacket,
// FuzzRFC4571).
//
// Devices and tests send with package send, which cuts PS frames into RTP
// packets and frames them for TCP.
package psrtp
