// Package hls serves live hub streams as HTTP Live Streaming, for browsers
// (hls.js, Safari) and players that speak neither RTSP nor FLV.
//
// URLs have the form /hls/<token>/<hub path>/<file>, where <file> is
// index.m3u8 or any playlist, segment or init file the muxer names in its
// playlists. The token sits in the path, not in the query, so that the
// relative URLs inside the playlists carry it without rewriting, and every
// request (playlists, segments, init files) is checked against the exact hub
// path: a leaked segment URL is worth no more than its token.
//
// The handler matches the full request path, so mount it as-is
// (mux.Handle("/hls/", h)), without http.StripPrefix. As every request is
// checked, a player stops when its token expires: issue HLS tokens for at
// least the expected viewing time.
//
// Muxing is done by gohlslib. There is one muxer per hub path, created by the
// first playlist request (after the app's Demand hook and a hub read that
// waits for the publisher), fed by a single hub reader and shared by every
// viewer of the path; it stops after IdleTimeout without requests or when the
// publisher goes away, which releases the hub reader.
//
// # Variants
//
// gohlslib offers MPEG-TS, fMP4 and Low-Latency (fMP4 with parts) variants.
// The muxer picks one per path from its tracks:
//
//   - H.264 (with or without AAC), and AAC alone: MPEG-TS. It is the variant
//     every player and every ffmpeg/ffprobe version (Debian's 5.1 included)
//     reads, and the first playlist is ready after one segment.
//   - H.265 (with or without AAC): fMP4, the only variant that carries H.265
//     (gohlslib's MPEG-TS variant accepts H.264 only, and HLS players only
//     accept HEVC in fMP4). gohlslib publishes an fMP4 playlist once two
//     segments exist.
//
// Low-Latency HLS is not used: its blocking playlist reloads and preload
// hints hold a request open inside gohlslib per viewer, ffmpeg 5.1 does not
// read its parts, and vionet's low-latency outputs are RTSP and HTTP-FLV.
//
// G.711 has no place in HLS (neither gohlslib nor the players support it):
// such tracks are dropped with a log line and the video is served alone.
//
// # First request
//
// gohlslib blocks a playlist request until the muxer has content. The handler
// runs it with a bound (Options.PlaylistWait) and answers 503 with
// Retry-After if no segment appeared in time, so a fresh stream works with
// players and with ffprobe, and a stalled one does not hold requests forever.
package hls
