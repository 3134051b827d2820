package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// Clips (4.8): a task cuts an MP4 and a thumbnail from cloud recordings, asynchronously.
// Tasks live in the database with status 2 until done, so a node that restarts resumes the
// ones it had not finished. taskId and fileId are "<id>@<platformId>".

// Bounds of a clip.
const (
	MaxClipLength      = 2 * time.Hour
	DefaultClipURLTTL  = 300 * time.Second
	clipWorkers        = 2
	clipThumbnailWidth = 320
)

type clipWorker struct {
	once  sync.Once
	queue chan int64
}

// ClipInput is 4.8.1's request after decoding.
type ClipInput struct {
	ChannelRef
	From, To time.Time
	Storage  string
}

// CreateClip queues a clip task and returns its taskId.
func (a *App) CreateClip(ctx context.Context, appID string, in ClipInput) (string, error) {
	if !in.To.After(in.From) {
		return "", domain.InvalidField("endTime", "must be after startTime")
	}
	if in.To.Sub(in.From) > MaxClipLength {
		return "", domain.InvalidField("endTime", "a clip is at most %s long", MaxClipLength)
	}
	d, target, err := a.resolveChannel(ctx, appID, in.ChannelRef, "clips")
	if err != nil {
		return "", err
	}
	switch in.Storage {
	case StorageCloud:
		if _, err := a.readableRecordings(ctx, target, in.From, in.To); err != nil {
			return "", err
		}
	case StorageDevice:
		if err := online(d); err != nil {
			return "", err
		}
	default:
		return "", domain.InvalidField("storageType", "must be 0 (cloud) or 1 (device)")
	}
	c := domain.ClipTask{
		AppID: appID, DeviceID: d.ID, DeviceSn: d.DeviceSn, Target: target, Start: in.From, End: in.To,
		Storage: in.Storage, Status: domain.ClipRunning, Created: a.now(),
	}
	if err := a.store.AddClipTask(ctx, &c); err != nil {
		return "", err
	}
	a.startClipWorkers()
	a.clips.queue <- c.ID
	return a.clipID(c.ID), nil
}

func (a *App) clipID(id int64) string { return strconv.FormatInt(id, 10) + "@" + a.platform.ID }

// parseClipID reads "<id>@<platformId>" (or a bare id).
func (a *App) parseClipID(field, s string) (int64, error) {
	idPart, platform, hasAt := strings.Cut(s, "@")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if err != nil || id <= 0 || (hasAt && platform != a.platform.ID) {
		return 0, domain.InvalidField(field, "%q is not a task of this platform (want id@%s)", s, a.platform.ID)
	}
	return id, nil
}

func (a *App) startClipWorkers() {
	a.clips.once.Do(func() {
		a.clips.queue = make(chan int64, 1024)
		for range clipWorkers {
			go func() {
				for id := range a.clips.queue {
					a.runClip(id)
				}
			}()
		}
	})
}

// ResumeClips queues the tasks a previous run left unfinished (called at start).
func (a *App) ResumeClips(ctx context.Context) {
	if a.rec.opts.Player == nil {
		return
	}
	pending, err := a.store.PendingClipTasks(ctx)
	if err != nil {
		a.log.Warn("pending clips", "err", err)
		return
	}
	a.startClipWorkers()
	for _, c := range pending {
		a.log.Info("resuming clip", "task", c.ID)
		a.clips.queue <- c.ID
	}
}

// runClip makes one clip's MP4 and thumbnail and records the outcome.
func (a *App) runClip(id int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := a.store.ClipTask(ctx, id)
	if err != nil || c.Status != domain.ClipRunning {
		return
	}
	began := a.now()
	err = a.makeClip(ctx, &c)
	if err != nil {
		c.Status, c.Reason = domain.ClipFailed, err.Error()
		a.log.Warn("clip failed", "task", id, "err", err)
	} else {
		c.Status = domain.ClipDone
		a.log.Info("clip done", "task", id, "bytes", c.Size, "took", a.now().Sub(began))
	}
	if err := a.store.FinishClipTask(ctx, c); err != nil {
		a.log.Error("clip outcome not saved", "task", id, "err", err)
	}
}

func (a *App) makeClip(ctx context.Context, c *domain.ClipTask) error {
	var recs []domain.Recording
	var err error
	if c.Storage == StorageDevice {
		var cleanup func()
		recs, cleanup, err = a.downloadFromDevice(ctx, c)
		defer cleanup()
	} else {
		recs, err = a.readableRecordings(ctx, c.Target, c.Start, c.End)
	}
	if err != nil {
		return err
	}
	base := "clips/" + c.AppID + "/" + strconv.FormatInt(c.ID, 10)
	from, to := c.Start, c.End
	if c.Storage == StorageDevice { // the whole download, stamped with arrival times
		from, to = recs[0].Start, recs[len(recs)-1].End
	}
	seg, err := a.rec.opts.Player.Export(ctx, base+".mp4", recs, from, to)
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	c.FileKey, c.FileStart, c.FileEnd, c.Size = seg.Key, seg.Start, seg.End, seg.Size
	pictureAt := c.FileStart
	if c.Storage == StorageDevice {
		// The downloaded files are stamped with their arrival time; report the device's.
		c.FileStart, c.FileEnd = c.Start, c.Start.Add(seg.End.Sub(seg.Start))
	}
	jpeg, err := a.rec.opts.Player.Picture(ctx, recs, pictureAt, clipThumbnailWidth, 0) // the clip's first frame
	if err != nil {
		return fmt.Errorf("thumbnail: %w", err)
	}
	c.ThumbKey = base + ".jpg"
	return a.media.opts.Files.Put(ctx, c.ThumbKey, jpeg)
}

// ClipFile is one element of 4.8.2's fileList.
type ClipFile struct {
	FileID, URL, ThumbnailURL string
	Start, End                time.Time
	Size                      int64
}

// ClipStatus is 4.8.2's answer.
type ClipStatus struct {
	Status  int
	Reason  string
	Expires time.Time
	Files   []ClipFile
}

// Clip reports a clip task (4.8.2).
func (a *App) Clip(ctx context.Context, appID, deviceSn, taskID string, ttl time.Duration) (ClipStatus, error) {
	if err := validateTTL("effectiveTime", &ttl, DefaultClipURLTTL); err != nil {
		return ClipStatus{}, err
	}
	c, err := a.clipOf(ctx, appID, deviceSn, "taskId", taskID)
	if err != nil {
		return ClipStatus{}, err
	}
	exp := a.now().Add(ttl).Truncate(time.Second)
	st := ClipStatus{Status: c.Status, Reason: c.Reason, Expires: exp}
	if c.Status == domain.ClipDone {
		st.Files = []ClipFile{{
			FileID: a.clipID(c.ID), URL: a.fileURL(NetworkPublic, c.FileKey, appID, exp),
			ThumbnailURL: a.fileURL(NetworkPublic, c.ThumbKey, appID, exp),
			Start:        c.FileStart, End: c.FileEnd, Size: c.Size,
		}}
	}
	return st, nil
}

// clipOf finds a tenant's clip task named by a taskId or fileId, of the camera deviceSn
// names (a device code covers its channels' clips).
func (a *App) clipOf(ctx context.Context, appID, deviceSn, field, id string) (domain.ClipTask, error) {
	d, ch, err := a.Target(ctx, appID, deviceSn)
	if err != nil {
		return domain.ClipTask{}, err
	}
	n, err := a.parseClipID(field, id)
	if err != nil {
		return domain.ClipTask{}, err
	}
	c, err := a.store.ClipTask(ctx, n)
	if err == domain.ErrNotFound || (err == nil && (c.AppID != appID || c.DeviceID != d.ID || (ch != nil && c.Target != ch.ChannelSn))) {
		return domain.ClipTask{}, domain.InvalidField(field, "no clip %s of %s", id, deviceSn)
	}
	return c, err
}

// DeleteClips deletes clip tasks (4.8.3) by taskId or by fileId (one file per task here).
func (a *App) DeleteClips(ctx context.Context, appID, deviceSn string, taskIDs, fileIDs []string) error {
	field, ids := "taskIdList", taskIDs
	switch {
	case len(taskIDs) > 0 && len(fileIDs) > 0:
		return domain.InvalidField("fileIdList", "give taskIdList or fileIdList, not both")
	case len(fileIDs) > 0:
		field, ids = "fileIdList", fileIDs
	case len(taskIDs) == 0:
		return domain.InvalidField("taskIdList", "give taskIdList or fileIdList")
	}
	var tasks []domain.ClipTask
	for i, id := range ids {
		c, err := a.clipOf(ctx, appID, deviceSn, fmt.Sprintf("%s[%d]", field, i), id)
		if err != nil {
			return err
		}
		tasks = append(tasks, c)
	}
	for _, c := range tasks {
		for _, k := range []string{c.FileKey, c.ThumbKey} {
			if k != "" {
				_ = a.media.opts.Files.Delete(ctx, k)
			}
		}
		if err := a.store.DeleteClipTask(ctx, c.ID); err != nil {
			return err
		}
	}
	return nil
}

// deviceDownloadSpeed is the a=downloadspeed asked of devices for clips of their storage.
const deviceDownloadSpeed = 4

// downloadFromDevice fetches a range of a device's own recording (GB/T 28181 Download) into
// temporary segments, the same files the cloud recorder writes, and returns them with a
// cleanup that deletes them. It stops when the device ends the stream, when the range's
// length has passed (devices that send in real time), or when the stream stalls.
func (a *App) downloadFromDevice(ctx context.Context, c *domain.ClipTask) ([]domain.Recording, func(), error) {
	nothing := func() {}
	d, err := a.store.Device(ctx, c.DeviceSn)
	if err != nil {
		return nil, nothing, err
	}
	if err := online(d); err != nil {
		return nil, nothing, err
	}
	o := a.media.opts
	path := "dl/" + strconv.FormatInt(c.ID, 10)
	s := &liveStream{path: path, ready: make(chan struct{})}
	sctx, cancel := context.WithTimeout(ctx, o.StartTimeout)
	defer cancel()
	req := StreamRequest{Target: c.Target, Playback: true, Download: true, DownloadSpeed: deviceDownloadSpeed, Start: c.Start, End: c.End}
	if err := a.inviteInto(sctx, s, d, req, 1); err != nil {
		return nil, nothing, a.streamFailure(path, c.Target, err)
	}
	defer a.stopStream(s, "download finished")
	call, sess := s.call, s.sess
	var (
		mu   sync.Mutex
		segs []Segment
	)
	prefix := "clips/" + c.AppID + "/" + strconv.FormatInt(c.ID, 10) + "-src"
	run, err := a.rec.opts.Recorder.Record(path, prefix, func(seg Segment) {
		mu.Lock()
		segs = append(segs, seg)
		mu.Unlock()
	})
	if err != nil {
		return nil, nothing, err
	}
	select {
	case <-time.After(c.End.Sub(c.Start) + 2*time.Second):
	case <-call.Done:
	case <-sess.Done():
	case <-ctx.Done():
	}
	run.Close() // closes the open segment: onSegment has seen every file after this
	mu.Lock()
	defer mu.Unlock()
	cleanup := func() {
		for _, seg := range segs {
			_ = o.Files.Delete(context.Background(), seg.Key)
		}
	}
	if len(segs) == 0 {
		return nil, cleanup, fmt.Errorf("the device sent no video for %s–%s", c.Start.Format(time.RFC3339), c.End.Format(time.RFC3339))
	}
	recs := make([]domain.Recording, len(segs))
	for i, seg := range segs {
		recs[i] = domain.Recording{FileKey: seg.Key, Start: seg.Start, End: seg.End, Size: seg.Size}
	}
	return recs, cleanup, nil
}
