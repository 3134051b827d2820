// Package mpegps implements a small, allocation-bounded demuxer (and a
// minimal muxer) for MPEG-2 Program Streams (ISO/IEC 13818-1) as carried by
// GB/T 28181 devices inside RTP (payload type 96).
//
// Scope:
//
//   - Input is the in-order concatenation of RTP payloads of one stream. RTP
//     reordering and loss detection are the RTP layer's job; after a detected
//     gap the caller should invoke [Demuxer.Reset]. Garbage between packets is
//     skipped by scanning for the next start code 00 00 01 followed by
//     BA, BB, BC, E0–EF or C0–DF.
//   - Pack headers (MPEG-2, and MPEG-1 for robustness), system headers, the
//     Program Stream Map (CRC ignored, lengths validated), PES packets for
//     video (0xE0–0xEF) and audio (0xC0–0xDF) with MPEG-2 or MPEG-1 PES
//     headers, and unbounded video PES (PES_packet_length 0) that end at the
//     next start code. Other PES-format streams (private, padding, ...) are
//     skipped by length.
//   - Codecs come from the PSM (0x1B H.264, 0x24 H.265, 0x90 G.711A,
//     0x91 G.711U, 0x0F AAC, anything else Unknown). Without a PSM, video is
//     sniffed from the first NAL header (H.264 vs H.265) and audio defaults
//     to G.711A.
//   - Write consumes its whole input; the result does not depend on how the
//     stream is split into Write calls (checked by FuzzDemux).
//
// Frame assembly rule: PES boundaries are not trusted to match access units.
// Cameras often split one access unit across several PES packets with the
// same PTS (or with a PTS only on the first), and other muxers (ffmpeg) pack
// several access units into one PES. For H.264/H.265 the PES payloads of a
// stream are therefore concatenated and cut into access units at NAL level:
// a new access unit starts at an access unit delimiter, at SPS/PPS/VPS/SEI
// after a coded slice, or at a slice with first_mb_in_slice == 0
// (H.265: first_slice_segment_in_pic_flag) after a coded slice. A PES
// PTS/DTS is attached to the first access unit that starts in that PES
// (ISO/IEC 13818-1 2.4.3.7); others get -1. A frame is thus returned when the
// first NAL unit of the next frame arrives (one frame of latency), or by
// [Demuxer.Flush] at end of stream.
//
// For video streams the PSM declares as something else (e.g. SVAC, 0x80)
// the PES-level rule applies: a frame ends when a PES of the same stream
// carries a different PTS, or, when the pending frame has no PTS, at the next
// pack header. Each audio PES is returned as one frame as soon as it is
// complete.
//
// Every length read from the stream is bounds-checked; frames larger than
// [MaxFrameSize] are dropped and counted in [Stats.Dropped]. The internal
// buffer never holds more than one bounded PES (64 KiB) plus the bytes of the
// current Write call.
package mpegps
