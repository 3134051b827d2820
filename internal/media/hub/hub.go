package hub

import (
	"context"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Hub routes units from one publisher per path to that path's readers.
// It is safe for concurrent use and starts no goroutines.
type Hub struct {
	opts Options

	mu      sync.Mutex
	paths   map[string]*stream
	waiters map[string]*waiter

	evMu        sync.Mutex
	evq         []Event
	dispatching bool
}

// waiter is shared by all Reads waiting for the same path.
type waiter struct {
	ch chan struct{} // closed when a publisher appears
	n  int
}

// New returns a hub configured by opts.
func New(opts Options) *Hub {
	if opts.GOPMaxUnits <= 0 {
		opts.GOPMaxUnits = DefaultGOPMaxUnits
	}
	if opts.GOPMaxBytes <= 0 {
		opts.GOPMaxBytes = DefaultGOPMaxBytes
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	return &Hub{
		opts:    opts,
		paths:   make(map[string]*stream),
		waiters: make(map[string]*waiter),
	}
}

// stream is the state of one published path, guarded by mu.
type stream struct {
	hub    *Hub
	path   string
	tracks []Track
	video  []int // IDs of video tracks
	since  time.Time

	mu       sync.Mutex
	closed   bool
	readers  []*Reader
	gop      []Unit
	gopBytes int
	gopValid bool
	bytesIn  uint64
	unitsIn  uint64
}

// Publisher is the single writer of a path.
type Publisher struct {
	s    *stream
	once sync.Once
}

// Publish makes the caller the publisher of path with the given tracks.
// It fails with ErrPathBusy if the path already has a publisher.
// Readers waiting for the path (ReadOptions.Wait) are woken.
func (h *Hub) Publish(path string, tracks []Track) (*Publisher, error) {
	if len(tracks) == 0 {
		return nil, ErrNoTracks
	}
	s := &stream{
		hub:    h,
		path:   path,
		tracks: slices.Clone(tracks),
		since:  time.Now(),
	}
	for _, t := range tracks {
		if t.Codec.IsVideo() {
			s.video = append(s.video, t.ID)
		}
	}
	h.mu.Lock()
	if _, ok := h.paths[path]; ok {
		h.mu.Unlock()
		return nil, ErrPathBusy
	}
	h.paths[path] = s
	if w := h.waiters[path]; w != nil {
		close(w.ch)
		delete(h.waiters, path)
	}
	h.enqueue(Event{Kind: PublisherUp, Path: path})
	h.mu.Unlock()
	h.dispatch()
	return &Publisher{s: s}, nil
}

// isSync reports whether u is a point where a reader may (re)start decoding:
// a keyframe on a video track, or any unit on a path without video.
func (s *stream) isSync(u *Unit) bool {
	if len(s.video) == 0 {
		return true
	}
	return u.Keyframe && slices.Contains(s.video, u.Track)
}

// Write delivers u to every reader of the path and to the GOP cache.
// It never blocks on readers: a reader whose queue is full drops units.
// u.Data is shared with readers and must not be modified or reused afterwards.
// Write after Close is a no-op. Writes must not be made concurrently with
// each other from several goroutines if their order matters.
func (p *Publisher) Write(u Unit) {
	if u.Received.IsZero() {
		u.Received = time.Now()
	}
	s := p.s
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.unitsIn++
	s.bytesIn += uint64(len(u.Data))
	key := s.isSync(&u)
	s.cacheGOP(&u, key)

	slow := false
	for _, r := range s.readers {
		if r.push(&u, key) {
			slow = true
		}
	}
	if slow {
		n := len(s.readers)
		kept := s.readers[:0]
		for _, r := range s.readers {
			if r.tooSlow() {
				n--
				s.hub.enqueue(Event{Kind: ReaderRemoved, Path: s.path, Readers: n})
				continue
			}
			kept = append(kept, r)
		}
		clear(s.readers[len(kept):])
		s.readers = kept
	}
	s.mu.Unlock()
	if slow {
		s.hub.dispatch()
	}
}

// cacheGOP maintains the GOP cache; called with s.mu held.
func (s *stream) cacheGOP(u *Unit, sync bool) {
	if len(s.video) == 0 {
		return // audio-only: every unit is a sync point, nothing to cache
	}
	if sync {
		clear(s.gop)
		s.gop = s.gop[:0]
		s.gopBytes = 0
		s.gopValid = true
	}
	if !s.gopValid {
		return
	}
	if len(s.gop)+1 > s.hub.opts.GOPMaxUnits || s.gopBytes+len(u.Data) > s.hub.opts.GOPMaxBytes {
		// A GOP without its keyframe is useless: drop it until the next one.
		clear(s.gop)
		s.gop = s.gop[:0]
		s.gopBytes = 0
		s.gopValid = false
		return
	}
	s.gop = append(s.gop, *u)
	s.gopBytes += len(u.Data)
}

// Close ends the publication: the path is freed, and its readers receive
// ErrClosed after draining what is already queued for them. Events:
// PublisherDown (Readers = readers at that moment), then one ReaderRemoved
// per detached reader. Close is idempotent.
func (p *Publisher) Close() {
	p.once.Do(func() {
		s := p.s
		h := s.hub
		// h.mu is held throughout so that PublisherDown is queued before a
		// new publisher's PublisherUp on the same path.
		h.mu.Lock()
		if h.paths[s.path] == s {
			delete(h.paths, s.path)
		}
		s.mu.Lock()
		s.closed = true
		n := len(s.readers)
		h.enqueue(Event{Kind: PublisherDown, Path: s.path, Readers: n})
		for i, r := range s.readers {
			r.finish(ErrClosed)
			h.enqueue(Event{Kind: ReaderRemoved, Path: s.path, Readers: n - 1 - i})
		}
		clear(s.readers)
		s.readers = nil
		clear(s.gop)
		s.gop = nil
		s.mu.Unlock()
		h.mu.Unlock()
		h.dispatch()
	})
}

// Read attaches a new reader to path. The reader starts with the cached GOP
// (beginning with the latest keyframe), then receives live units.
// Without a publisher it fails with ErrNoPublisher, unless opts.Wait > 0,
// in which case it waits up to opts.Wait (or until ctx ends) for one.
func (h *Hub) Read(ctx context.Context, path string, opts ReadOptions) (*Reader, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		h.mu.Lock()
		s := h.paths[path]
		if s == nil {
			if opts.Wait <= 0 {
				h.mu.Unlock()
				return nil, ErrNoPublisher
			}
			if timer == nil {
				timer = time.NewTimer(opts.Wait)
			}
			w := h.waiters[path]
			if w == nil {
				w = &waiter{ch: make(chan struct{})}
				h.waiters[path] = w
			}
			w.n++
			h.mu.Unlock()
			var err error
			select {
			case <-w.ch:
			case <-timer.C:
				err = ErrNoPublisher
			case <-ctx.Done():
				err = ctx.Err()
			}
			if err != nil {
				h.mu.Lock()
				w.n--
				if w.n == 0 && h.waiters[path] == w {
					delete(h.waiters, path)
				}
				h.mu.Unlock()
				return nil, err
			}
			continue
		}
		h.mu.Unlock()
		if r := s.addReader(opts); r != nil {
			h.dispatch()
			return r, nil
		}
		// The publisher closed in between: look again.
		if opts.Wait <= 0 {
			return nil, ErrNoPublisher
		}
	}
}

// addReader creates and registers a reader seeded with the GOP cache.
// It returns nil if the stream is closed.
func (s *stream) addReader(opts ReadOptions) *Reader {
	size := opts.QueueSize
	if size <= 0 {
		size = s.hub.opts.QueueSize
	}
	r := &Reader{
		s:      s,
		buf:    make([]Unit, size),
		notify: make(chan struct{}, 1),
		maxLag: opts.MaxLag,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if s.gopValid {
		if len(s.gop) <= size {
			r.n = copy(r.buf, s.gop)
		} else {
			r.lagging = true
			r.lagSince = time.Now()
		}
	}
	s.readers = append(s.readers, r)
	s.hub.enqueue(Event{Kind: ReaderAdded, Path: s.path, Readers: len(s.readers)})
	return r
}

// removeReader detaches r; called by Reader.Close.
func (s *stream) removeReader(r *Reader) {
	s.mu.Lock()
	i := slices.Index(s.readers, r)
	if i >= 0 {
		last := len(s.readers) - 1
		s.readers[i] = s.readers[last]
		s.readers[last] = nil
		s.readers = s.readers[:last]
		s.hub.enqueue(Event{Kind: ReaderRemoved, Path: s.path, Readers: len(s.readers)})
	}
	s.mu.Unlock()
	if i >= 0 {
		s.hub.dispatch()
	}
}

// Readers returns the number of readers on path (0 if not published).
func (h *Hub) Readers(path string) int {
	h.mu.Lock()
	s := h.paths[path]
	h.mu.Unlock()
	if s == nil {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.readers)
}

// Info returns a snapshot of one path, and false if nobody publishes it.
func (h *Hub) Info(path string) (PathInfo, bool) {
	h.mu.Lock()
	s := h.paths[path]
	h.mu.Unlock()
	if s == nil {
		return PathInfo{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return PathInfo{
		Path: s.path, Tracks: slices.Clone(s.tracks), Readers: len(s.readers),
		BytesIn: s.bytesIn, UnitsIn: s.unitsIn, Since: s.since,
	}, true
}

// Paths returns a snapshot of all published paths, sorted by path.
func (h *Hub) Paths() []PathInfo {
	h.mu.Lock()
	ss := make([]*stream, 0, len(h.paths))
	for _, s := range h.paths {
		ss = append(ss, s)
	}
	h.mu.Unlock()
	out := make([]PathInfo, 0, len(ss))
	for _, s := range ss {
		s.mu.Lock()
		out = append(out, PathInfo{
			Path:    s.path,
			Tracks:  slices.Clone(s.tracks),
			Readers: len(s.readers),
			BytesIn: s.bytesIn,
			UnitsIn: s.unitsIn,
			Since:   s.since,
		})
		s.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// enqueue queues an event; callers hold a path or hub lock so the queue order
// matches the order of state changes.
func (h *Hub) enqueue(e Event) {
	if h.opts.OnEvent == nil {
		return
	}
	h.evMu.Lock()
	h.evq = append(h.evq, e)
	h.evMu.Unlock()
}

// dispatch delivers queued events with no hub lock held. Only one goroutine
// delivers at a time; others (including nested calls from a handler) leave
// their events to it.
func (h *Hub) dispatch() {
	if h.opts.OnEvent == nil {
		return
	}
	h.evMu.Lock()
	if h.dispatching {
		h.evMu.Unlock()
		return
	}
	h.dispatching = true
	defer func() {
		h.dispatching = false
		h.evMu.Unlock()
	}()
	for len(h.evq) > 0 {
		e := h.evq[0]
		h.evq[0] = Event{}
		h.evq = h.evq[1:]
		if len(h.evq) == 0 {
			h.evq = nil
		}
		h.evMu.Unlock()
		func() {
			defer h.evMu.Lock()
			h.opts.OnEvent(e)
		}()
	}
}

// Reader receives the units of one path through its own bounded ring.
type Reader struct {
	s       *stream
	maxLag  time.Duration
	notify  chan struct{}
	dropped atomic.Uint64

	mu       sync.Mutex
	buf      []Unit // ring
	head, n  int
	lagging  bool
	lagSince time.Time
	err      error // set once the reader is finished
}

// Tracks returns the path's tracks.
func (r *Reader) Tracks() []Track { return slices.Clone(r.s.tracks) }

// Dropped returns how many units this reader has dropped for being slow.
func (r *Reader) Dropped() uint64 { return r.dropped.Load() }

// push queues u; called by Write with s.mu held. It returns true if the
// reader has just become too slow and must be removed.
func (r *Reader) push(u *Unit, key bool) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return false
	}
	full := r.n == len(r.buf)
	if r.lagging {
		if !key || full {
			r.dropped.Add(1)
			if r.maxLag > 0 && u.Received.Sub(r.lagSince) > r.maxLag {
				r.finishLocked(ErrTooSlow)
				return true
			}
			return false
		}
		r.lagging = false
	} else if full {
		r.lagging = true
		r.lagSince = u.Received
		r.dropped.Add(1)
		return false
	}
	i := r.head + r.n
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	r.buf[i] = *u
	r.n++
	select {
	case r.notify <- struct{}{}:
	default:
	}
	return false
}

// tooSlow reports whether push closed the reader with ErrTooSlow.
func (r *Reader) tooSlow() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err == ErrTooSlow
}

func (r *Reader) finish(err error) {
	r.mu.Lock()
	r.finishLocked(err)
	r.mu.Unlock()
}

func (r *Reader) finishLocked(err error) {
	if r.err != nil {
		return
	}
	r.err = err
	if err != ErrClosed {
		r.drop()
	}
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// drop empties the ring; r.mu held.
func (r *Reader) drop() {
	clear(r.buf)
	r.head, r.n = 0, 0
}

// Next returns the next unit, in publication order, waiting for one if
// needed. After the publisher closes it returns the queued units, then
// ErrClosed. It returns ErrTooSlow if the hub closed the reader for lagging,
// ErrClosed after Close, or ctx's error. Next must not be called
// concurrently with itself.
func (r *Reader) Next(ctx context.Context) (Unit, error) {
	for {
		r.mu.Lock()
		if r.n > 0 {
			u := r.buf[r.head]
			r.buf[r.head] = Unit{}
			r.head++
			if r.head == len(r.buf) {
				r.head = 0
			}
			r.n--
			r.mu.Unlock()
			return u, nil
		}
		err := r.err
		r.mu.Unlock()
		if err != nil {
			return Unit{}, err
		}
		select {
		case <-r.notify:
		case <-ctx.Done():
			return Unit{}, ctx.Err()
		}
	}
}

// Close detaches the reader from its path (emitting ReaderRemoved if it was
// still attached) and discards queued units. Next then returns ErrClosed.
// Close is idempotent.
func (r *Reader) Close() {
	r.s.removeReader(r)
	r.mu.Lock()
	r.finishLocked(ErrClosed)
	r.drop()
	r.mu.Unlock()
}
