// Package flv writes and reads the FLV container (Adobe Flash Video File
// Format Specification v10.1, with the Enhanced RTMP/FLV v1 extension for
// H.265) as used by HTTP-FLV live streaming.
//
// The Writer turns hub units into an FLV byte stream: the file header, an
// onMetaData script tag, the decoder configuration tags (AVC sequence header
// built from the track's SPS/PPS, the HEVCDecoderConfigurationRecord sent as
// an enhanced "hvc1" PacketTypeSequenceStart, the AAC AudioSpecificConfig),
// then one tag per access unit or audio frame. Video access units are
// converted from Annex-B to 4-byte length-prefixed NAL units; G.711 is sent
// as sound format 7 (A-law) or 8 (µ-law), 8 kHz mono.
//
// Live viewers join at arbitrary moments, so the Writer starts on the first
// video keyframe (audio before it is dropped too), sends a new sequence
// header whenever a keyframe carries parameter sets that differ from the
// current ones (resolution change), and falls back to in-band parameter
// sets when the track has no Config. Tag timestamps are milliseconds since
// the first unit written and never go backwards, which FLV demuxers require
// of the interleaved audio/video stream.
//
// The Writer is allocation-light: every tag is assembled in one reusable
// buffer and handed to the underlying io.Writer in a single Write, so an
// HTTP response gets one chunk per tag.
//
// ReadHeader, ReadTag, ParseVideo and ParseAudio are a minimal reader for
// the same subset; they exist for tests and tools and are fuzzed, since
// FLV from the network is untrusted.
package flv
