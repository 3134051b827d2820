// Package recorder is vionet's cloud recorder storage format: it records a
// hub path into self-contained fragmented-MP4 segment files, repairs the
// files a crash leaves behind, and reads segments back.
//
// # Format
//
// A segment is one fragmented MP4 file named <start-unixmilli>.mp4, where
// start is the wall-clock time of its first sample, to the millisecond:
//
//	ftyp moov            init: video track ID 1 (avc1/avcC or hvc1/hvcC,
//	                     timescale 90000), AAC track ID 2 (mp4a/esds,
//	                     timescale = sample rate) if the path has AAC
//	moof mdat            fragment 1 (mediacommon fmp4.Part, one traf per track)
//	moof mdat            fragment 2
//	...
//
// Every fragment starts on a video keyframe and holds one GOP, plus the
// audio whose DTS falls before the next keyframe (audio is held until that
// keyframe arrives, so frames that arrive a little ahead of the video still
// land in the right fragment; a segment keeps up to 1 s of audio that
// arrived before its first keyframe, and audio older than a segment's
// start is dropped); an audio-only path gets a fragment about every
// second. Samples carry their duration (DTS step) and PTS offset; video
// samples are 4-byte length-prefixed NAL units (the Annex-B access units of
// the hub, parameter sets included when the camera sends them in band) and
// keyframes are the sync samples. Media time 0, the first fragment's
// baseMediaDecodeTime, is the first keyframe, at the wall-clock start of
// the file name; Segment.End is the start plus the end of the last video
// sample. The files are written and read with mediacommon's fmp4 package
// and play in ffmpeg/ffprobe as they are.
//
// G.711 is not recorded: fMP4 has no A-law/µ-law sample entry in
// mediacommon (converting it to LPCM would be possible but nothing that
// plays the recordings would decode it), so such a track is skipped and
// logged, and the video is recorded alone.
//
// # Segments
//
// A segment is cut at the first keyframe MaxSegment after its start; the
// next one follows on exactly (its Start is the previous End, rounded up to
// the millisecond). A new segment also starts when a keyframe brings new
// parameter sets (a resolution change), since an init has one set. A gap in
// the stream is a gap between segments, never inside a file: the publisher
// going away, a DTS step back or forward by more than 2 s, units the hub
// dropped because the recorder fell behind (detected from Reader.Dropped
// and the skipped frames before the keyframe the hub resumes on) or a
// keyframe that does not come for 30 s all close the current segment, and
// recording resumes at the next keyframe. The recorder then waits for the
// publisher to come back for as long as it runs. Segments of one recorder
// never overlap in wall-clock time.
//
// # Crash guarantees
//
// While open, a segment is <start>.mp4.part. Each fragment is assembled in
// memory and written with a single write once the next keyframe closes it,
// and the file is fsynced at least every 2 s (and its directory entry when
// it is created). A process crash therefore loses at most the GOP being
// assembled; a power loss at most the fragments written in the last 2 s.
// On a clean cut the file is fsynced, renamed to <start>.mp4 and the
// directory fsynced before OnSegment is called, so an indexed segment is
// durable and complete. Recover, run at startup before any Recorder, turns
// each leftover part into a segment holding its complete fragments (a
// partial moof/mdat or a zero-filled tail is truncated away) and deletes
// the parts that have none.
//
// # Reading
//
// Open returns a SegmentReader that decodes one fragment at a time and
// returns hub units in DTS order, timestamps relative to the segment start,
// video as Annex-B; ReadInfo describes a segment from its init and last
// fragment only. Both accept any fragmented MP4 of this layout and are
// fuzzed: segment files are untrusted input once they sit on a disk.
//
// # Cost
//
// BenchmarkRecord4Mbps (a 4 Mbit/s stream, 25 fps, 1 s GOP, written to a
// file as fast as possible, fsync every 2 s of media, hub excluded):
// 200-370 MB/s on one core of the 2-core dev VM (Oxide Turin-like, shared
// and noisy), i.e. 650-1150 such streams per core of recorder CPU (write
// and fsync system calls about a quarter of it, copies and the NAL scan
// most of the rest). Disk bandwidth (500 kB/s per stream) is the limit long
// before the CPU.
package recorder
