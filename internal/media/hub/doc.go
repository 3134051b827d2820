// Package hub is vionet's in-process media stream hub: it connects one
// publisher per path to any number of readers (live viewers, protocol
// servers, the recorder) without letting a slow reader stall anything else.
//
// The design follows MediaMTX's stream/reader split with a ring buffer per
// reader:
//
//   - Every path is owned by a [Publisher]. Its state (tracks, readers, GOP
//     cache, counters) is guarded by one mutex per path; the hub itself only
//     holds a small map from path name to stream, so paths never contend.
//   - [Publisher.Write] appends the unit to the GOP cache and then pushes a
//     copy of the Unit value (not of its Data) into each reader's
//     fixed-capacity ring buffer. The work is O(readers), it never waits for
//     a reader and it allocates nothing per reader. Unit.Data is shared by all
//     readers and the GOP cache, so publishers must not modify or reuse a Data
//     slice after passing it to Write, and readers must treat it as read-only.
//   - When a reader's ring is full the reader is marked lagging: units are
//     dropped (counted by [Reader.Dropped]) until the next sync point — a video
//     keyframe, or any unit on a path without video — finds room in the ring,
//     so the reader resumes cleanly on a keyframe. A reader that stays lagging
//     longer than [ReadOptions.MaxLag] is closed with [ErrTooSlow].
//   - The GOP cache holds the units since the last video keyframe (bounded by
//     [Options.GOPMaxUnits] and [Options.GOPMaxBytes]; a GOP that outgrows the
//     bounds is discarded until the next keyframe). A new reader is seeded
//     with it under the path lock, so it starts on the latest keyframe at once
//     and the live units follow without gap or duplicate.
//   - The recorder is just another reader.
//
// # On-demand streams
//
// [Hub.Read] with [ReadOptions.Wait] > 0 waits for a publisher to appear:
// the caller (app) first starts the pull (e.g. asks a device to send its
// stream), then reads with Wait. To stop idle on-demand streams, watch
// [Options.OnEvent] for a [ReaderRemoved] event with Readers == 0, start an
// idle timer, cancel it on [ReaderAdded], and close the publisher when it
// fires. The hub itself runs no timers and no goroutines.
//
// # Events
//
// Events are queued while the path lock is held (so their order matches the
// order of state changes) and delivered after every hub lock is released,
// one at a time and in order, on the goroutine of whichever hub call is
// currently draining the queue. Handlers may therefore call back into the
// hub; such nested calls queue their events, which are delivered after the
// handler returns. Handlers should be quick: they run on the caller's
// goroutine, which may be a publisher's.
//
// The package knows nothing of tenants, SQL, SIP or RTSP.
package hub
