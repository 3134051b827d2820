package daemon

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/conf"
	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/files"
	"github.com/vionet/vionet/internal/media/playback"
	"github.com/vionet/vionet/internal/media/recorder"
)

// The recorder and the player work on local files. With the local store they use the
// store's own files in place. With S3 (s3-endpoint):
//
//   - the recorder writes into a spool directory (data-dir/s3/spool/<key prefix>); each
//     closed segment is uploaded under its key in the background, then reported (indexed),
//     then removed from the spool. The index never names an object that is not in the
//     bucket; a crash leaves spool files, which the startup scan (recorderAdapter.Segments)
//     uploads and reports;
//   - playback, exports and pictures read segments from an LRU cache of downloaded objects
//     (data-dir/s3/cache, wiped at start), bounded by size except for the files in use.
//     Playback fetches the first segment before it starts and the next ones ahead of the
//     playing position; exports and clips fetch all of theirs, pictures the one they need;
//   - exports are written to data-dir/s3/tmp, then uploaded.

// Tunables of the S3 side.
const (
	// segmentCacheBytes bounds the downloaded segments kept for reuse.
	segmentCacheBytes = 2 << 30
	// uploadRetryMax is the longest pause between attempts to upload a segment.
	uploadRetryMax = 30 * time.Second
	// prefetchPoll is how often playback's prefetcher looks at the playing position.
	prefetchPoll = 250 * time.Millisecond
)

// uploadDrain is how long closing a recording run keeps trying to upload its last segments;
// what is left stays in the spool for the next start. (A variable for tests.)
var uploadDrain = 10 * time.Second

// openFiles opens the node's file store (S3 when s3-endpoint is set, else data-dir/files)
// and the localizer the recorder and the player use with it.
func openFiles(cfg conf.Config, log *slog.Logger) (files.Store, *localizer, error) {
	if cfg.S3Endpoint == "" {
		l, err := files.NewLocal(filepath.Join(cfg.DataDir, "files"))
		if err != nil {
			return nil, nil, err
		}
		return l, &localizer{store: l, local: l, log: log}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := filepath.Join(cfg.DataDir, "s3")
	s, err := files.NewS3(ctx, files.S3Options{
		Endpoint: cfg.S3Endpoint, Bucket: cfg.S3Bucket, AccessKey: cfg.S3AccessKey, SecretKey: cfg.S3SecretKey,
		Region: cfg.S3Region, UseSSL: cfg.S3SSL, Prefix: cfg.S3Prefix, CacheDir: dir,
	})
	if err != nil {
		return nil, nil, err
	}
	loc := &localizer{store: s, s3: s, spool: filepath.Join(dir, "spool"), tmp: filepath.Join(dir, "tmp"), log: log}
	// The cache's bookkeeping is in memory: start it empty.
	for _, d := range []string{filepath.Join(dir, "cache"), loc.tmp} {
		if err := os.RemoveAll(d); err != nil {
			return nil, nil, fmt.Errorf("files: %w", err)
		}
	}
	if err := os.MkdirAll(loc.tmp, 0o755); err != nil {
		return nil, nil, fmt.Errorf("files: %w", err)
	}
	loc.cache = newSegmentCache(s, filepath.Join(dir, "cache"), segmentCacheBytes)
	log.Info("files on s3", "endpoint", cfg.S3Endpoint, "bucket", s.Bucket(), "prefix", cfg.S3Prefix, "local", dir)
	return s, loc, nil
}

// localizer gives the recorder and the player local files for keys of the store.
type localizer struct {
	store files.Store
	local *files.Local // the store, when it is local disk: its files are used in place
	s3    *files.S3    // the store, when it is S3
	spool string       // S3: where the recorder writes
	tmp   string       // S3: where exports are written
	cache *segmentCache
	log   *slog.Logger
}

// dir is the local directory the recorder writes the segments of prefix into.
func (l *localizer) dir(prefix string) (string, error) {
	if l.local != nil {
		return l.local.Path(prefix)
	}
	if _, err := l.s3.Object(prefix); err != nil { // the key rules
		return "", err
	}
	return filepath.Join(l.spool, filepath.FromSlash(prefix)), nil
}

// settle makes the closed segment file path, found by the startup scan, the store's file
// key: S3 uploads it and removes it from the spool (a crash before the upload left it).
func (l *localizer) settle(ctx context.Context, key, path string) error {
	if l.local != nil {
		return nil
	}
	if err := l.s3.PutFile(ctx, key, path); err != nil {
		return err
	}
	return os.Remove(path)
}

// uploader returns what a recording run hands its closed segments to: it calls report at
// once with the local store, and after the upload with S3.
func (l *localizer) uploader(prefix string, report func(recorder.Segment)) *uploader {
	u := &uploader{l: l, prefix: prefix, report: report, drain: uploadDrain}
	if l.s3 != nil {
		u.wake, u.closing, u.done = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
		go u.loop()
	}
	return u
}

// uploader uploads one recording run's closed segments in order, off the recorder's
// goroutine (which must not wait for the network).
type uploader struct {
	l       *localizer
	prefix  string
	report  func(recorder.Segment)
	drain   time.Duration // uploadDrain
	mu      sync.Mutex
	queue   []recorder.Segment
	wake    chan struct{}
	closing chan struct{}
	done    chan struct{}
	once    sync.Once
}

// closed is the recorder's OnSegment.
func (u *uploader) closed(s recorder.Segment) {
	if u.l.s3 == nil {
		u.report(s)
		return
	}
	u.mu.Lock()
	u.queue = append(u.queue, s)
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// run ties the uploader to the recorder it serves (Recorder.Start's results).
func (u *uploader) run(rec *recorder.Recorder, err error) (app.RecordingRun, error) {
	if err != nil {
		u.stop()
		return nil, err
	}
	if u.l.s3 == nil {
		return rec, nil
	}
	return &spooledRun{rec: rec, up: u}, nil
}

// stop waits for the queued uploads (up to uploadDrain) and ends the loop.
func (u *uploader) stop() {
	if u.l.s3 == nil {
		return
	}
	u.once.Do(func() { close(u.closing) })
	<-u.done
}

func (u *uploader) loop() {
	defer close(u.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-u.closing:
		case <-u.done:
			return
		}
		select {
		case <-time.After(u.drain):
			cancel()
		case <-u.done:
		}
	}()
	pause := time.Second
	for {
		u.mu.Lock()
		var s recorder.Segment
		n := len(u.queue)
		if n > 0 {
			s = u.queue[0]
		}
		u.mu.Unlock()
		if n == 0 {
			select {
			case <-u.wake:
				continue
			case <-u.closing:
				select {
				case <-u.wake: // a last segment came with the close
					continue
				default:
					return
				}
			}
		}
		key := u.prefix + "/" + filepath.Base(s.Path)
		err := u.l.s3.PutFile(ctx, key, s.Path)
		switch {
		case err == nil:
			u.report(s) // indexed only now that the object is in the bucket
			if err := os.Remove(s.Path); err != nil {
				u.l.log.Warn("spool file not removed", "file", s.Path, "err", err)
			}
			pause = time.Second
		case errors.Is(err, fs.ErrNotExist):
			u.l.log.Warn("spooled segment vanished before its upload", "file", s.Path)
		case ctx.Err() != nil:
			u.mu.Lock()
			left := len(u.queue)
			u.mu.Unlock()
			u.l.log.Warn("segments left in the spool for the next start", "prefix", u.prefix, "segments", left, "err", err)
			return
		default:
			u.l.log.Warn("segment upload failed, retrying", "key", key, "in", pause, "err", err)
			select {
			case <-time.After(pause):
			case <-ctx.Done():
			}
			pause = min(2*pause, uploadRetryMax)
			continue
		}
		u.mu.Lock()
		u.queue = u.queue[1:]
		u.mu.Unlock()
	}
}

// spooledRun is a recording run whose segments go to S3: closing it closes the recorder
// (its last segment is queued), then waits for the uploads.
type spooledRun struct {
	rec *recorder.Recorder
	up  *uploader
}

func (r *spooledRun) Close() {
	r.rec.Close()
	r.up.stop()
}

// segments gives every recording a local file (S3: fetched into the cache and held until
// release is called).
func (l *localizer) segments(ctx context.Context, recs []domain.Recording) ([]playback.Segment, func(), error) {
	return l.fetch(ctx, recs, func(int) bool { return true })
}

// picture is segments for playback.Thumbnail of at: only the recording covering at (the
// one Thumbnail reads) is fetched.
func (l *localizer) picture(ctx context.Context, recs []domain.Recording, at time.Time) ([]playback.Segment, func(), error) {
	want := -1
	for i, r := range recs {
		if !r.Start.After(at) && (r.End.IsZero() || !at.After(r.End)) {
			want = i
		}
	}
	return l.fetch(ctx, recs, func(i int) bool { return i == want })
}

// fetch returns the segments of recs, with the ones need selects fetched into the cache
// (the others get their cache path, absent).
func (l *localizer) fetch(ctx context.Context, recs []domain.Recording, need func(int) bool) ([]playback.Segment, func(), error) {
	out := make([]playback.Segment, 0, len(recs))
	var releases []func()
	release := func() {
		for _, f := range releases {
			f()
		}
	}
	for i, r := range recs {
		var path string
		var err error
		switch {
		case l.local != nil:
			path, err = l.local.Path(r.FileKey)
		case !validKey(l.s3, r.FileKey):
			err = files.ErrBadKey
		case need(i):
			var rel func()
			path, rel, err = l.cache.acquire(ctx, r.FileKey)
			if errors.Is(err, fs.ErrNotExist) { // like a missing local file: the player skips it
				l.log.Warn("recording object missing", "key", r.FileKey)
				path, err = l.cache.path(r.FileKey), nil
			} else if err == nil {
				releases = append(releases, rel)
			}
		default:
			path = l.cache.path(r.FileKey)
		}
		if err != nil {
			release()
			return nil, nil, err
		}
		out = append(out, playback.Segment{Path: path, Start: r.Start, End: r.End})
	}
	return out, release, nil
}

func validKey(s *files.S3, key string) bool {
	_, err := s.Object(key)
	return err == nil
}

// stream gives playback of recs from from its segments: with S3 the first one played is
// fetched now and the prefetcher (started by follow) fetches the next ones ahead of the
// playing position.
func (l *localizer) stream(ctx context.Context, recs []domain.Recording, from time.Time, speed float64) ([]playback.Segment, *prefetcher, error) {
	if l.local != nil {
		segs, _, err := l.segments(ctx, recs)
		return segs, nil, err
	}
	segs, _, _ := l.fetch(ctx, recs, func(int) bool { return false }) // paths only
	if len(segs) == 0 {
		return segs, nil, nil // playback.Publish refuses it
	}
	p := &prefetcher{l: l, recs: recs, segs: segs, held: map[int]func(){}, ahead: 2 + int(math.Ceil(speed/4))}
	// The segment the player opens first (playback.timeline.seek's choice).
	first := 0
	for j, s := range segs {
		if !s.Start.After(from) {
			first = j
		}
	}
	if s := segs[first]; !s.End.IsZero() && !from.Before(s.End) && s.Start.Before(from) {
		first++
	}
	p.first, p.next = first, first
	// Fetch until one is there (the player skips missing objects too).
	for p.next < len(segs) {
		err := p.fetchNext(ctx)
		if err == nil && p.held[p.next-1] != nil {
			break
		}
		if err != nil {
			p.releaseAll()
			return nil, nil, err
		}
	}
	return segs, p, nil
}

// prefetcher keeps the segments a playback session is about to read in the cache.
type prefetcher struct {
	l           *localizer
	recs        []domain.Recording
	segs        []playback.Segment
	first, next int
	ahead       int
	mu          sync.Mutex
	held        map[int]func() // pinned segments by index
}

// fetchNext fetches segment p.next and moves on; a missing object is skipped.
func (p *prefetcher) fetchNext(ctx context.Context) error {
	i := p.next
	_, rel, err := p.l.cache.acquire(ctx, p.recs[i].FileKey)
	if errors.Is(err, fs.ErrNotExist) {
		p.l.log.Warn("recording object missing", "key", p.recs[i].FileKey)
		err = nil
	} else if err == nil {
		p.mu.Lock()
		p.held[i] = rel
		p.mu.Unlock()
	}
	if err == nil {
		p.next++
	}
	return err
}

func (p *prefetcher) releaseAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, rel := range p.held {
		rel()
		delete(p.held, i)
	}
}

// follow returns playback.Publish's results as the player's, and runs the prefetcher
// for the session's lifetime. A nil prefetcher (local store) only passes them on.
func (p *prefetcher) follow(sess *playback.Session, err error) (app.PlaySession, error) {
	if err != nil {
		if p != nil {
			p.releaseAll()
		}
		return nil, err
	}
	if p == nil {
		return sess, nil
	}
	go p.run(sess)
	return sess, nil
}

func (p *prefetcher) run(sess *playback.Session) {
	defer p.releaseAll()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-sess.Done()
		cancel()
	}()
	t := time.NewTicker(prefetchPoll)
	defer t.Stop()
	for {
		// The segment being played: the last one started at or before the position.
		cur, pos := p.first, sess.Position()
		for j := p.first; j < len(p.segs); j++ {
			if !p.segs[j].Start.After(pos) {
				cur = j
			}
		}
		p.mu.Lock()
		for i, rel := range p.held {
			if i < cur { // played: back to the cache's LRU
				rel()
				delete(p.held, i)
			}
		}
		p.mu.Unlock()
		if p.next < len(p.segs) && p.next <= cur+p.ahead {
			if err := p.fetchNext(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				p.l.log.Warn("playback prefetch failed, retrying", "key", p.recs[p.next].FileKey, "err", err)
			} else {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// exportTo returns where Export writes the MP4 of key and commit, which puts it in place
// (local store: renamed over the key's file; S3: uploaded, and the local file removed).
// On errors the caller removes tmp.
func (l *localizer) exportTo(key string) (tmp string, commit func(ctx context.Context) error, err error) {
	if l.local != nil {
		dst, err := l.local.Path(key)
		if err != nil {
			return "", nil, err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return "", nil, err
		}
		tmp := dst + ".tmp"
		return tmp, func(context.Context) error { return os.Rename(tmp, dst) }, nil // a reader never sees a half-written MP4
	}
	if _, err := l.s3.Object(key); err != nil {
		return "", nil, err
	}
	f, err := os.CreateTemp(l.tmp, "export-*.mp4")
	if err != nil {
		return "", nil, err
	}
	tmp = f.Name()
	f.Close()
	return tmp, func(ctx context.Context) error {
		if err := l.s3.PutFile(ctx, key, tmp); err != nil {
			return err
		}
		return os.Remove(tmp)
	}, nil
}

// segmentCache keeps downloaded objects in a directory, evicting the least recently used
// unpinned ones beyond max bytes.
type segmentCache struct {
	s3      *files.S3
	dir     string
	max     int64
	mu      sync.Mutex
	size    int64 // bytes of the fetched entries
	entries map[string]*cacheEntry
	lru     list.List // of *cacheEntry, most recent first; fetched entries only
}

type cacheEntry struct {
	key   string
	path  string
	size  int64
	pins  int
	elem  *list.Element
	ready chan struct{} // closed when the fetch ended (err set)
	err   error
}

func newSegmentCache(s *files.S3, dir string, max int64) *segmentCache {
	return &segmentCache{s3: s, dir: dir, max: max, entries: map[string]*cacheEntry{}}
}

// path is where key's file is (or would be) in the cache.
func (c *segmentCache) path(key string) string {
	return filepath.Join(c.dir, filepath.FromSlash(key))
}

// acquire returns the local file of key, fetching it if needed, and pins it until release
// is called. Errors wrap fs.ErrNotExist for missing objects.
func (c *segmentCache) acquire(ctx context.Context, key string) (path string, release func(), err error) {
	if _, err := c.s3.Object(key); err != nil {
		return "", nil, err
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok {
		e.pins++
		if e.elem != nil {
			c.lru.MoveToFront(e.elem)
		}
		c.mu.Unlock()
		select {
		case <-e.ready:
		case <-ctx.Done():
			c.release(e)
			return "", nil, ctx.Err()
		}
		if e.err != nil {
			c.release(e)
			return "", nil, e.err
		}
		return e.path, c.releaser(e), nil
	}
	e = &cacheEntry{key: key, path: c.path(key), pins: 1, ready: make(chan struct{})}
	c.entries[key] = e
	c.mu.Unlock()

	size, err := c.s3.Fetch(ctx, key, e.path)
	c.mu.Lock()
	e.err, e.size = err, size
	if err != nil {
		delete(c.entries, key)
	} else {
		e.elem = c.lru.PushFront(e)
		c.size += size
	}
	close(e.ready)
	c.mu.Unlock()
	if err != nil {
		c.release(e)
		return "", nil, err
	}
	c.evict()
	return e.path, c.releaser(e), nil
}

func (c *segmentCache) releaser(e *cacheEntry) func() {
	var once sync.Once
	return func() { once.Do(func() { c.release(e) }) }
}

func (c *segmentCache) release(e *cacheEntry) {
	c.mu.Lock()
	e.pins--
	c.mu.Unlock()
	c.evict()
}

// evict removes unpinned files, oldest use first, until the cache fits max.
func (c *segmentCache) evict() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.lru.Back(); el != nil && c.size > c.max; {
		e := el.Value.(*cacheEntry)
		prev := el.Prev()
		if e.pins == 0 {
			_ = os.Remove(e.path)
			c.lru.Remove(el)
			delete(c.entries, e.key)
			c.size -= e.size
		}
		el = prev
	}
}
