// Package rtmp is vionet's RTMP server: viewers play hub paths and
// encoders or cameras publish into the hub, over plain RTMP on one TCP
// listener. The protocol work (handshake, chunking, AMF commands, FLV
// payloads, Enhanced RTMP for H.265) is done by gortmplib; this package
// maps URLs to hub paths, checks tokens and converts between gortmplib's
// tracks and hub tracks and units.
//
// URLs have the form rtmp://host:port/<path>?token=T, where <path> is a hub
// path of any number of segments. RTMP splits such a URL into an
// application (sent in connect as app/tcUrl) and a stream name (sent in
// play/publish), and clients differ in where the query lands: ffmpeg puts
// everything after the first segment, query included, in the stream name;
// others keep the query on the application. Both are folded back into the
// same path and token (see streamPath).
//
// Play needs a token.Read token for exactly <path>. On a path without a
// publisher the server calls Options.Demand (the app starts the device
// stream) and waits up to Options.ReadWait for it. The viewer starts on the
// hub's cached keyframe; H.264, H.265 (Enhanced RTMP), AAC and G.711 are
// sent, one video and one audio track at most, with timestamps relative to
// the first unit. Audio before the first keyframe is dropped so that the
// player starts with a picture.
//
// Publish needs a token.Publish token for exactly <path> and a free path.
// gortmplib reads about two seconds of media before it reports the tracks;
// the publisher then appears on the hub with Annex-B access units, keyframe
// flags, the parameter sets as Track.Config and the picture size from the
// SPS. Unsupported tracks (AV1, VP9, Opus, MP3, ...) are ignored.
//
// A refused token (tampered, expired, other path, read token used to
// publish) gets an error status and the connection is closed; refusals are
// logged and counted in Stats.
package rtmp
