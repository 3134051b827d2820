package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// Thumbnails (4.4.1.8) and platform snapshots (4.4.1.12–14): a JPEG made by the snapshotter
// from the latest keyframe of the camera's live stream (started on demand like a viewer's),
// kept in the file store and handed out as a signed, expiring URL served by vionet.

// Bounds of picture sizes.
const (
	DefaultThumbnailWidth = 320
	MaxPictureSide        = 4096
	SnapTypeManual        = 1
)

// ThumbnailInput is 4.4.1.8's request after decoding.
type ThumbnailInput struct {
	ChannelRef
	Network       int
	Width, Height int
	TTL           time.Duration
	UseCache      bool
	Timestamp     *time.Time // a point in the recordings (needs cloud recording)
}

// Thumbnail is 4.4.1.8's answer.
type Thumbnail struct {
	URL       string
	DeviceSn  string
	ChannelID *int
}

type thumbCache struct {
	mu sync.Mutex
	m  map[string]string // camera path + size → file key of the latest thumbnail
}

// GetThumbnail returns a URL of a JPEG of the camera now (or its cached latest one).
func (a *App) GetThumbnail(ctx context.Context, appID string, in ThumbnailInput) (Thumbnail, error) {
	if err := validateNetwork(&in.Network); err != nil {
		return Thumbnail{}, err
	}
	if err := validateTTL("effectiveTime", &in.TTL, DefaultThumbnailTTL); err != nil {
		return Thumbnail{}, err
	}
	if err := validateSize(&in.Width, &in.Height); err != nil {
		return Thumbnail{}, err
	}
	d, target, err := a.resolveChannel(ctx, appID, in.ChannelRef, "thumbnails")
	if err != nil {
		return Thumbnail{}, err
	}
	out := Thumbnail{DeviceSn: in.DeviceSn, ChannelID: channelNumber(d, target)}
	if in.Timestamp != nil {
		key, err := a.historyThumbnail(ctx, appID, target, *in.Timestamp, in.Width, in.Height)
		if err != nil {
			return Thumbnail{}, err
		}
		out.URL = a.fileURL(in.Network, key, appID, a.now().Add(in.TTL).Truncate(time.Second))
		return out, nil
	}
	cacheKey := fmt.Sprintf("%s/%s/%dx%d", d.DeviceSn, target, in.Width, in.Height)
	a.thumbs.mu.Lock()
	key, cached := a.thumbs.m[cacheKey]
	a.thumbs.mu.Unlock()
	if !in.UseCache || !cached {
		jpeg, err := a.capture(ctx, d, target, in.Width, in.Height)
		if err != nil {
			return Thumbnail{}, err
		}
		key = "thumbnails/" + appID + "/" + d.DeviceSn + "-" + target + "-" + randomID() + ".jpg"
		if err := a.media.opts.Files.Put(ctx, key, jpeg); err != nil {
			return Thumbnail{}, err
		}
		a.thumbs.mu.Lock()
		old := a.thumbs.m[cacheKey]
		if a.thumbs.m == nil {
			a.thumbs.m = map[string]string{}
		}
		a.thumbs.m[cacheKey] = key
		a.thumbs.mu.Unlock()
		if old != "" {
			// Earlier URLs of this camera's thumbnail may still be in use until they expire;
			// keep at most the previous file around for that.
			go a.deleteLater(old, DefaultThumbnailTTL)
		}
	}
	out.URL = a.fileURL(in.Network, key, appID, a.now().Add(in.TTL).Truncate(time.Second))
	return out, nil
}

func (a *App) deleteLater(key string, after time.Duration) {
	time.Sleep(after)
	_ = a.media.opts.Files.Delete(context.Background(), key)
}

func validateSize(w, h *int) error {
	if *w < 0 || *w > MaxPictureSide {
		return domain.InvalidField("sizeWidth", "must be 1-%d, got %d", MaxPictureSide, *w)
	}
	if *h < 0 || *h > MaxPictureSide {
		return domain.InvalidField("sizeHeight", "must be 1-%d, got %d", MaxPictureSide, *h)
	}
	if *w == 0 && *h == 0 {
		*w = DefaultThumbnailWidth // the height follows the picture's aspect
	}
	return nil
}

// capture grabs a JPEG of a camera from its live stream, starting it if needed.
func (a *App) capture(ctx context.Context, d *domain.Device, target string, w, h int) ([]byte, error) {
	if err := online(d); err != nil {
		return nil, err
	}
	if a.media.opts.Snapshotter == nil || a.media.opts.Files == nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "pictures are not configured on this node")
	}
	path, err := a.ensureStream(ctx, d, target, 0)
	if err != nil {
		return nil, err
	}
	jpeg, err := a.media.opts.Snapshotter.Grab(ctx, path, w, h)
	if err != nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "could not make a picture of %s: %v", target, err)
	}
	return jpeg, nil
}

// channelNumber is the channelId of target (nil for a single-camera device).
func channelNumber(d *domain.Device, target string) *int {
	for i := range d.Channels {
		if d.Channels[i].ChannelSn == target && d.Type == domain.DeviceNVR {
			n := d.Channels[i].ChannelID
			return &n
		}
	}
	return nil
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// TakeSnapshot captures a picture of a camera and keeps it (4.4.1.12).
func (a *App) TakeSnapshot(ctx context.Context, appID string, ref ChannelRef) (domain.Snapshot, error) {
	d, target, err := a.resolveChannel(ctx, appID, ref, "snapshots")
	if err != nil {
		return domain.Snapshot{}, err
	}
	jpeg, err := a.capture(ctx, d, target, 0, 0)
	if err != nil {
		return domain.Snapshot{}, err
	}
	s := domain.Snapshot{
		PictureID: randomID(), AppID: appID, DeviceID: d.ID, DeviceSn: d.DeviceSn, Target: target,
		SnapType: SnapTypeManual, SnapTime: a.now(), Size: len(jpeg),
	}
	if n := channelNumber(d, target); n != nil {
		s.ChannelID = *n
	}
	s.FileKey = "pictures/" + appID + "/" + s.PictureID + ".jpg"
	if err := a.media.opts.Files.Put(ctx, s.FileKey, jpeg); err != nil {
		return domain.Snapshot{}, err
	}
	if err := a.store.AddSnapshot(ctx, &s); err != nil {
		_ = a.media.opts.Files.Delete(ctx, s.FileKey)
		return domain.Snapshot{}, err
	}
	return s, nil
}

// SnapshotListInput is 4.4.1.13's request after decoding.
type SnapshotListInput struct {
	ChannelRef
	Network    int
	SnapType   int
	Start, End time.Time
	Page
}

// SnapshotEntry is one element of 4.4.1.13's answer.
type SnapshotEntry struct {
	domain.Snapshot
	URL string
}

// Snapshots lists the pictures vionet took of a device or one of its cameras (4.4.1.13).
func (a *App) Snapshots(ctx context.Context, appID string, in SnapshotListInput) ([]SnapshotEntry, int, error) {
	if err := validateNetwork(&in.Network); err != nil {
		return nil, 0, err
	}
	if in.SnapType != 0 && in.SnapType != SnapTypeManual {
		return nil, 0, domain.InvalidField("snaptype", "must be 1 (manual), got %d", in.SnapType)
	}
	if !in.Start.IsZero() && !in.End.IsZero() && in.End.Before(in.Start) {
		return nil, 0, domain.InvalidField("endTime", "is before startTime")
	}
	q, err := a.snapshotScope(ctx, appID, in.ChannelRef)
	if err != nil {
		return nil, 0, err
	}
	q.SnapType, q.Start, q.End = in.SnapType, in.Start, in.End
	q.Offset, q.Limit = (in.Page.Page-1)*in.PageSize, in.PageSize
	list, total, err := a.store.Snapshots(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	exp := a.now().Add(DefaultThumbnailTTL).Truncate(time.Second)
	out := make([]SnapshotEntry, len(list))
	for i, s := range list {
		out[i] = SnapshotEntry{Snapshot: s, URL: a.fileURL(in.Network, s.FileKey, appID, exp)}
	}
	return out, total, nil
}

// snapshotScope turns deviceSn/channelId into a query: a device's own code without channelId
// lists all its cameras' pictures, a channel (code or channelId) only that channel's.
func (a *App) snapshotScope(ctx context.Context, appID string, ref ChannelRef) (domain.SnapshotQuery, error) {
	d, ch, err := a.Target(ctx, appID, ref.DeviceSn)
	if err != nil {
		return domain.SnapshotQuery{}, err
	}
	q := domain.SnapshotQuery{DeviceID: d.ID}
	switch {
	case ch != nil:
		q.Target = ch.ChannelSn
	case ref.ChannelID != nil:
		_, target, err := a.resolveChannel(ctx, appID, ref, "snapshots")
		if err != nil {
			return q, err
		}
		q.Target = target
	}
	return q, nil
}

// DeleteSnapshot removes a picture (4.4.1.14).
func (a *App) DeleteSnapshot(ctx context.Context, appID string, ref ChannelRef, pictureID string) error {
	q, err := a.snapshotScope(ctx, appID, ref)
	if err != nil {
		return err
	}
	s, err := a.store.Snapshot(ctx, pictureID)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && (s.DeviceID != q.DeviceID || (q.Target != "" && s.Target != q.Target))) {
		return domain.InvalidField("pictureId", "no picture %s of %s", pictureID, ref.DeviceSn)
	}
	if err != nil {
		return err
	}
	if err := a.store.DeleteSnapshot(ctx, s.ID); err != nil {
		return err
	}
	if err := a.media.opts.Files.Delete(ctx, s.FileKey); err != nil {
		a.log.Warn("snapshot file not deleted", "key", s.FileKey, "err", err)
	}
	return nil
}

// historyLookback bounds how far before a timestamp a recording's keyframe may be.
const historyLookback = 10 * time.Minute

// historyThumbnail makes a JPEG of a camera's cloud recording at t (the keyframe at or before
// it) and returns its key.
func (a *App) historyThumbnail(ctx context.Context, appID, target string, t time.Time, w, h int) (string, error) {
	if a.rec.opts.Player == nil {
		return "", domain.InvalidField("timestamp", "this node keeps no cloud recordings")
	}
	recs, err := a.store.Recordings(ctx, domain.RecordingQuery{Target: target, From: t.Add(-historyLookback), To: t.Add(time.Millisecond)})
	if err != nil {
		return "", err
	}
	if len(recs) == 0 || recs[len(recs)-1].End.Before(t) {
		return "", domain.InvalidField("timestamp", "no cloud recording of %s at %s", target, t.Format(time.RFC3339))
	}
	for _, r := range recs {
		if a.archived(r) {
			return "", domain.Errorf(domain.CodeValidation, "recording %s is archived: unfreeze it first (4.5.1.7)", cloudRecordID(r.ID))
		}
	}
	// One file per camera, instant and size: asking again reuses it.
	key := fmt.Sprintf("thumbnails/%s/history/%s-%d-%dx%d.jpg", appID, target, t.UnixMilli(), w, h)
	if a.media.opts.Files.Exists(ctx, key) {
		return key, nil
	}
	jpeg, err := a.rec.opts.Player.Picture(ctx, recs, t, w, h)
	if err != nil {
		return "", domain.Errorf(domain.CodeUnavailable, "no picture of %s at %s: %v", target, t.Format(time.RFC3339), err)
	}
	if err := a.media.opts.Files.Put(ctx, key, jpeg); err != nil {
		return "", err
	}
	return key, nil
}
