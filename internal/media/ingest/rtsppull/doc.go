// Package rtsppull publishes an RTSP stream into the media hub: it pulls an
// RTSP URL with gortsplib's client (cameras and NVRs that speak RTSP, other
// media servers, vionet's own RTSP server) and writes it at a hub path.
//
// Start returns a Source at once; the Source connects, DESCRIBEs, sets up
// the first H264 or H265 track and the first AAC or G.711 track, PLAYs over
// TCP, UDP or either ("auto": UDP, falling back to TCP), and reconnects with
// exponential backoff (Options.RetryInitial doubling up to RetryMax) while
// its context lives. Other tracks are ignored; a stream with none of these
// codecs fails with ErrNoSupportedTrack.
//
// The hub path is published only when the first video keyframe arrives with
// every parameter set known (SPS/PPS, and VPS for H265, from the SDP's
// sprop parameters or in-band), so the hub's first unit is decodable and the
// track's Config, Width and Height are filled; audio-only streams publish at
// their first frame. From then on each access unit is written as Annex-B
// with the known parameter sets put in front of keyframes that lack them;
// PTS comes from gortsplib's timestamp decoder (tracks synchronized) and DTS
// from mediacommon's DTS extractors, so B-frames keep their order. AAC
// frames are raw access units (no ADTS), one unit per frame; G.711 one unit
// per packet. Every attempt's publisher is closed when its connection ends,
// so the path's readers see the stream end and the app can tell the device
// is gone.
//
// Source.Wait reports the first outcome: nil once published, or the first
// attempt's error, which wraps ErrConnect, ErrUnauthorized, ErrNotFound,
// ErrNoSupportedTrack, ErrNoKeyframe or a hub error such as hub.ErrPathBusy.
// Later failures are in Stats.LastError and the log.
package rtsppull
