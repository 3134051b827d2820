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

// Cloud recording: every camera with an open full-day recording service is recorded
// continuously. RunRecordings keeps the set of recorders equal to the set of plans: it pulls
// the camera's live stream like a viewer (the recorder is a hub reader, so the stream never
// goes idle), restarts the stream when it dropped while the camera is online, indexes each
// closed segment, and deletes what the plan's retention no longer covers.

type recordingState struct {
	opts    RecordingOptions
	wake    chan struct{}
	mu      sync.Mutex
	running map[string]*cameraRecording // by camera code
}

type cameraRecording struct {
	plan domain.RecordingPlan
	path string
	run  RecordingRun
}

// recordingReconcileEvery is how often the recorders are matched to the plans (and at once
// after a service change).
const recordingReconcileEvery = 5 * time.Second

// retentionEvery is how often expired recordings are deleted: a tenth of a retention day,
// between 1 s and 1 min.
func (a *App) retentionEvery() time.Duration {
	return min(max(a.rec.opts.RetentionDay/10, time.Second), time.Minute)
}

// SetRecording wires cloud recording.
func (a *App) SetRecording(o RecordingOptions) {
	if o.RetentionDay <= 0 {
		o.RetentionDay = 24 * time.Hour
	}
	a.rec = recordingState{opts: o, wake: make(chan struct{}, 1), running: map[string]*cameraRecording{}}
	a.onServices = a.wakeRecordings
}

func (a *App) wakeRecordings() {
	select {
	case a.rec.wake <- struct{}{}:
	default:
	}
}

// recordingPrefix is where a camera's segments live in the file store.
func recordingPrefix(p domain.RecordingPlan) string {
	return "recordings/" + p.AppID + "/" + p.DeviceSn + "/" + p.Target
}

// RunRecordings runs the recorders until ctx ends, then closes them (their open segments
// are finished and indexed).
func (a *App) RunRecordings(ctx context.Context) {
	if a.rec.opts.Recorder == nil {
		return
	}
	a.indexLeftovers(ctx)
	t := time.NewTicker(min(recordingReconcileEvery, a.retentionEvery()))
	defer t.Stop()
	lastRetention := time.Time{}
	for {
		a.reconcileRecordings(ctx)
		if a.now().Sub(lastRetention) >= a.retentionEvery() {
			a.applyRetention(ctx)
			lastRetention = a.now()
		}
		select {
		case <-ctx.Done():
			a.rec.mu.Lock()
			all := a.rec.running
			a.rec.running = map[string]*cameraRecording{}
			a.rec.mu.Unlock()
			for _, r := range all {
				r.run.Close()
			}
			return
		case <-t.C:
		case <-a.rec.wake:
		}
	}
}

func (a *App) reconcileRecordings(ctx context.Context) {
	plans, err := a.RecordingPlans(ctx)
	if err != nil {
		a.log.Warn("recording plans", "err", err)
		return
	}
	want := make(map[string]domain.RecordingPlan, len(plans))
	for _, p := range plans {
		want[p.Target] = p
	}
	a.rec.mu.Lock()
	var stop []*cameraRecording
	for target, r := range a.rec.running {
		if _, ok := want[target]; !ok {
			stop = append(stop, r)
			delete(a.rec.running, target)
		}
	}
	a.rec.mu.Unlock()
	for _, r := range stop {
		r.run.Close()
		a.log.Info("recording stopped", "camera", r.plan.Target)
	}
	for _, p := range plans {
		a.keepRecording(ctx, p)
	}
}

// keepRecording starts a camera's recorder if needed and makes sure its stream runs.
func (a *App) keepRecording(ctx context.Context, p domain.RecordingPlan) {
	d, err := a.store.Device(ctx, p.DeviceSn)
	if err != nil || d.Online != domain.Online {
		return // the recorder (if any) waits; the stream restarts when the camera is back
	}
	path := livePath(p.DeviceSn, p.Target, 0)
	if !a.media.opts.Hub.Published(path) {
		sctx, cancel := context.WithTimeout(ctx, a.media.opts.StartTimeout+time.Second)
		_, err := a.ensureStream(sctx, d, p.Target, 0)
		cancel()
		if err != nil {
			a.log.Warn("recording: stream did not start", "camera", p.Target, "err", err)
			return
		}
	}
	a.rec.mu.Lock()
	_, running := a.rec.running[p.Target]
	a.rec.mu.Unlock()
	if running {
		return
	}
	run, err := a.rec.opts.Recorder.Record(path, recordingPrefix(p), func(s Segment) { a.indexSegment(p, s) })
	if err != nil {
		a.log.Warn("recording did not start", "camera", p.Target, "err", err)
		return
	}
	a.rec.mu.Lock()
	a.rec.running[p.Target] = &cameraRecording{plan: p, path: path, run: run}
	a.rec.mu.Unlock()
	a.log.Info("recording started", "camera", p.Target, "days", p.Days)
}

func (a *App) indexSegment(p domain.RecordingPlan, s Segment) {
	r := domain.Recording{
		AppID: p.AppID, DeviceID: p.DeviceID, DeviceSn: p.DeviceSn, Target: p.Target,
		Start: s.Start, End: s.End, Size: s.Size, FileKey: s.Key,
	}
	if err := a.store.AddRecording(context.Background(), &r); err != nil {
		// Typically the device was just deleted: a file nobody can list must not stay.
		a.log.Warn("recording not indexed, file removed", "key", s.Key, "err", err)
		_ = a.media.opts.Files.Delete(context.Background(), s.Key)
	}
}

// indexLeftovers indexes the segments a crash left unindexed (closed but not yet in the
// database, or still open: the recorder keeps their complete fragments).
func (a *App) indexLeftovers(ctx context.Context) {
	segs, err := a.rec.opts.Recorder.Segments(ctx, "recordings")
	if err != nil {
		a.log.Warn("recordings scan", "err", err)
		return
	}
	n := 0
	for _, s := range segs {
		appID, sn, target, ok := parseRecordingKey(s.Key)
		if !ok {
			continue
		}
		if known, err := a.store.RecordingKnown(ctx, s.Key); err != nil || known {
			continue
		}
		d, err := a.store.Device(ctx, sn)
		if err != nil {
			continue
		}
		a.indexSegment(domain.RecordingPlan{AppID: appID, DeviceID: d.ID, DeviceSn: sn, Target: target}, s)
		n++
	}
	if n > 0 {
		a.log.Info("indexed recordings left by a crash", "segments", n)
	}
}

// parseRecordingKey reads recordings/<appid>/<deviceSn>/<target>/<file>.
func parseRecordingKey(key string) (appID, sn, target string, ok bool) {
	f := strings.Split(key, "/")
	if len(f) != 5 || f[0] != "recordings" {
		return "", "", "", false
	}
	return f[1], f[2], f[3], true
}

// applyRetention deletes each camera's recordings older than its plan's days.
func (a *App) applyRetention(ctx context.Context) {
	plans, err := a.RecordingPlans(ctx)
	if err != nil {
		return
	}
	for _, p := range plans {
		if p.Days <= 0 {
			continue
		}
		cutoff := a.now().Add(-time.Duration(p.Days) * a.rec.opts.RetentionDay)
		for {
			old, err := a.store.ExpiredRecordings(ctx, p.Target, cutoff, 500)
			if err != nil || len(old) == 0 {
				break
			}
			if err := a.deleteRecordings(ctx, old); err != nil {
				a.log.Warn("retention", "camera", p.Target, "err", err)
				break
			}
			a.log.Info("retention removed recordings", "camera", p.Target, "segments", len(old), "before", cutoff)
		}
	}
}

// deleteRecordings removes recordings: files first, then rows, so a crash in between can
// leave a row without its file (playback of it fails and a later delete clears it) but never
// a file that the next start would index again, bringing a deleted recording back.
func (a *App) deleteRecordings(ctx context.Context, recs []domain.Recording) error {
	ids := make([]int64, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
		if err := a.media.opts.Files.Delete(ctx, r.FileKey); err != nil {
			return fmt.Errorf("recording file %s: %w", r.FileKey, err)
		}
	}
	return a.store.DeleteRecordings(ctx, ids)
}

// Recording IDs (recordId) of cloud recordings are "c<id>"; device records use
// DeviceRecordID.
func cloudRecordID(id int64) string { return "c" + strconv.FormatInt(id, 10) }

func parseCloudRecordID(s string) (int64, bool) {
	if !strings.HasPrefix(s, "c") {
		return 0, false
	}
	id, err := strconv.ParseInt(s[1:], 10, 64)
	return id, err == nil && id > 0
}

// recordingOf returns a tenant's cloud recording by recordId, checking it belongs to the
// camera named by ref.
func (a *App) recordingOf(ctx context.Context, appID, recordID string, target string) (domain.Recording, error) {
	id, ok := parseCloudRecordID(recordID)
	if !ok {
		return domain.Recording{}, domain.InvalidField("recordId", "%q is not a recording id", recordID)
	}
	r, err := a.store.Recording(ctx, id)
	if err == domain.ErrNotFound || (err == nil && (r.AppID != appID || (target != "" && r.Target != target))) {
		return domain.Recording{}, domain.InvalidField("recordId", "no recording %s of %s", recordID, target)
	}
	return r, err
}

// dropRecordings deletes every cloud recording of the cameras (their device is being
// deleted: the rows would go with it, the files must not stay behind).
func (a *App) dropRecordings(ctx context.Context, targets ...string) error {
	if a.media.opts.Files == nil {
		return nil
	}
	for _, t := range targets {
		for {
			recs, err := a.store.ExpiredRecordings(ctx, t, a.now().Add(24*time.Hour), 500)
			if err != nil {
				return err
			}
			if len(recs) == 0 {
				break
			}
			if err := a.deleteRecordings(ctx, recs); err != nil {
				return err
			}
		}
	}
	return nil
}
