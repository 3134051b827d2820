// Package snapshot turns the latest keyframe of a live stream into a JPEG
// image (thumbnails for the API, previews in consoles).
//
// Decoding H.264/H.265 is left to an ffmpeg child process instead of a Go
// decoder: ffmpeg is already a runtime dependency of vionet's media tests and
// tooling, it decodes every profile cameras send, and one keyframe per
// request keeps the cost small (a few tens of milliseconds for CIF/720p).
//
// Grab attaches a hub reader, which is seeded with the path's GOP cache, so
// the first video unit it sees is the latest keyframe and no waiting for the
// next IDR is needed on a running stream. The keyframe is prefixed with the
// track's parameter sets (Track.Config) so the decoder can start on it alone.
// FromAccessUnit does the decoding part for callers that already hold a
// keyframe (recordings).
package snapshot
