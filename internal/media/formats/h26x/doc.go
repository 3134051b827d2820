// Package h26x holds the few H.264/H.265 bitstream helpers the media ingest
// paths share: splitting an Annex-B access unit into NAL units, finding the
// parameter sets (VPS/SPS/PPS) in it, telling whether it is a keyframe, and
// reading the picture size from an SPS.
//
// Ingest (GB/T 28181 PS over RTP, RTMP/RTSP publishers) needs exactly these
// to turn a camera's byte stream into a hub track: the hub wants the
// parameter sets out of band (Track.Config, Annex-B) and the picture size up
// front, and it must start every reader on a keyframe. Full SPS parsing is
// delegated to mediacommon; everything else here is a few bounded loops over
// untrusted bytes that never panic.
package h26x
