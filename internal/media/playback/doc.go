// Package playback plays cloud recordings back into the media hub, at a
// chosen speed and with seeking, and exports ranges of them as MP4 files and
// single keyframes (thumbnails from history).
//
// A recording is a list of segment files written by the recorder: each one a
// self-contained fragmented MP4 (ftyp + moov, then moof + mdat fragments that
// each start on a video keyframe), with one H.264 or H.265 video track and
// optionally one AAC track. The files carry no wall clock, so the caller
// passes each file with the wall-clock time of its first frame (from the
// recording index) as a Segment.
//
// # Reading
//
// Segments are parsed with mediacommon's fmp4 package, one fragment at a
// time and reading only the moof box: the payloads are read sample by sample
// when they are used, so seeking scans an hour-long file in milliseconds,
// playback at 32× reads only keyframes, and memory stays at one fragment's
// index whatever the file size. A partial last fragment (a file still being
// written, or cut by a crash) ends its segment quietly; a missing or corrupt
// file is logged and skipped.
//
// # Timeline
//
// Samples are placed on two clocks. The wall clock maps each sample to the
// time it was recorded: Segment.Start plus its offset from the segment's first
// sample. The content clock is what viewers see: it starts at the first played
// keyframe and runs continuously. Segments that follow each other on the wall
// clock (within a second: the recorder's tile exactly) keep their wall-clock
// spacing, so audio stays in step with video and an hour of recording plays
// and exports as exactly an hour. After a longer gap (the camera was off,
// recording was paused) the next segment starts where the previous one's video
// ended: gaps are cut out rather than shown as a frozen picture, the output
// timestamps never jump, the wall clock under them does, and Session.Position
// and Info.Start/End report the wall clock. A segment's last AAC frame usually
// outlasts its video by a few milliseconds; the next segment's audio frame
// that overlaps it is dropped, so each track's timestamps only increase.
//
// # Playback
//
// Publish puts a recording on a hub path, so every vionet output (RTSP, RTMP,
// HTTP-FLV, HLS) can serve it like a live stream. Units are written when
// their time comes, at real time divided by the speed, and their timestamps
// are divided by the speed too: a player sees an ordinary stream at normal
// rate that covers the recording faster or slower. Above 4× only keyframes
// are sent (one picture per GOP, the "frame extraction" of NVRs), since
// neither players nor links keep up with every frame, and audio is sent only
// at 1×. Seek and SetSpeed act on the running session without unpublishing
// the path, and the output timestamps stay continuous across them, so
// connected players go on without reconnecting.
//
// # Export
//
// ExportMP4 writes a progressive MP4 with the moov before the mdat
// ("faststart"), so browsers play it as it downloads and seek with HTTP range
// requests. Samples are copied, never re-encoded: the file starts on the
// keyframe at or before the requested start and an edit list makes players
// begin presenting at the requested start itself. The container is written by
// mediacommon's pmp4 package, which uses 32-bit chunk offsets: an export is
// limited to 4 GiB (over two hours at 4 Mbit/s); longer ones fail with
// ErrTooLarge and must be split by the caller.
//
// # Figures
//
// On the shared 2-core development VM (load average 5 to 8 from other
// builds), with a 720p, 4 Mbit/s H.264 + AAC stream (bench_test.go):
//
//   - ExportMP4 of one minute: 260× to 1000× real time into io.Discard,
//     240× to 480× into a file; one hour (1.9 GB, 360 segments) in 2.5 to
//     6.5 s, with a heap of about 60 MB (the sample tables: about 100 bytes
//     per sample);
//   - a playback session's work (read, AVCC to Annex-B, hub write to one
//     reader) runs at about 480× real time: a 1× session costs about 0.2 %
//     of a core.
package playback
