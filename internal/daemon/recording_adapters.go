package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/playback"
	"github.com/vionet/vionet/internal/media/recorder"
	"github.com/vionet/vionet/internal/media/snapshot"
)

// recorderAdapter is app.Recorder over the fMP4 recorder, writing into the local file store
// (or S3's spool, see localizer).
type recorderAdapter struct {
	hub     *hub.Hub
	files   *localizer
	segment time.Duration
	log     *slog.Logger
}

func (r recorderAdapter) Record(path, prefix string, onSegment func(app.Segment)) (app.RecordingRun, error) {
	dir, err := r.files.dir(prefix)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	up := r.files.uploader(prefix, func(s recorder.Segment) { onSegment(r.segmentOf(prefix, s)) })
	return up.run(recorder.Start(context.Background(), recorder.Options{
		Hub: r.hub, Path: path, Dir: dir, MaxSegment: r.segment, Wait: time.Hour,
		OnSegment: up.closed,
		OnError:   func(err error) { r.log.Warn("recorder", "path", path, "err", err) },
		Logger:    r.log,
	}))
}

func (r recorderAdapter) segmentOf(prefix string, s recorder.Segment) app.Segment {
	return app.Segment{Key: prefix + "/" + filepath.Base(s.Path), Start: s.Start, End: s.End, Size: s.Size}
}

// Segments finishes the files a crash left open, then lists every segment under prefix
// (with S3: every segment left in the spool, uploaded first).
func (r recorderAdapter) Segments(ctx context.Context, prefix string) ([]app.Segment, error) {
	root, err := r.files.dir(prefix)
	if err != nil {
		return nil, err
	}
	dirs := map[string]bool{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".mp4") || strings.HasSuffix(p, ".mp4.part")) {
			dirs[filepath.Dir(p)] = true
		}
		return ctx.Err()
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var out []app.Segment
	for dir := range dirs {
		if _, err := recorder.Recover(dir); err != nil {
			r.log.Warn("recover recordings", "dir", dir, "err", err)
		}
		rel, _ := filepath.Rel(root, dir)
		keyPrefix := prefix + "/" + filepath.ToSlash(rel)
		matches, _ := filepath.Glob(filepath.Join(dir, "*.mp4"))
		for _, m := range matches {
			s, err := recorder.ReadInfo(m)
			if err != nil {
				r.log.Warn("unreadable recording", "file", m, "err", err)
				continue
			}
			seg := r.segmentOf(keyPrefix, s)
			if err := r.files.settle(ctx, seg.Key, m); err != nil {
				r.log.Warn("recording not stored", "file", m, "err", err)
				continue
			}
			out = append(out, seg)
		}
	}
	return out, nil
}

// playerAdapter is app.Player over the playback package.
type playerAdapter struct {
	hub    *hub.Hub
	files  *localizer
	ffmpeg string
	log    *slog.Logger
}

func (p playerAdapter) Play(ctx context.Context, path string, recs []domain.Recording, from, to time.Time, speed float64) (app.PlaySession, error) {
	segs, feed, err := p.files.stream(ctx, recs, from, speed)
	if err != nil {
		return nil, err
	}
	// The session outlives the request that started it: it ends by itself, or on Close.
	return feed.follow(playback.Publish(context.WithoutCancel(ctx), playback.Options{Hub: p.hub, Path: path, Segments: segs, From: from, To: to, Speed: speed, Logger: p.log}))
}

func (p playerAdapter) Export(ctx context.Context, key string, recs []domain.Recording, from, to time.Time) (app.Segment, error) {
	segs, release, err := p.files.segments(ctx, recs)
	if err != nil {
		return app.Segment{}, err
	}
	defer release()
	tmp, commit, err := p.files.exportTo(key)
	if err != nil {
		return app.Segment{}, err
	}
	f, err := os.Create(tmp)
	if err != nil {
		return app.Segment{}, err
	}
	info, err := playback.ExportMP4(ctx, f, segs, from, to)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = commit(ctx)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return app.Segment{}, fmt.Errorf("export: %w", err)
	}
	return app.Segment{Key: key, Start: info.Start, End: info.End, Size: info.Size}, nil
}

func (p playerAdapter) Picture(ctx context.Context, recs []domain.Recording, at time.Time, w, h int) ([]byte, error) {
	segs, release, err := p.files.picture(ctx, recs, at)
	if err != nil {
		return nil, err
	}
	defer release()
	codec, config, au, err := playback.Thumbnail(ctx, segs, at)
	if err != nil {
		return nil, err
	}
	return snapshot.FromAccessUnit(ctx, codec, config, au, snapshot.Options{Width: w, Height: h, FFmpeg: p.ffmpeg})
}
