package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// Playback (4.5.1.2 by time, 4.5.1.4 by recordId): cloud recordings are published into the
// hub by the Player at a path of their own ("rec/<id>"); device storage is a GB/T 28181
// Playback INVITE received like a live stream. Either way the tenant gets a signed URL of
// the same forms as live view. A session without readers for IdleTimeout is closed; a viewer
// coming back with a valid URL starts it again from the beginning.

// Playback speeds 4.5.1.2 allows.
var playbackSpeeds = []float64{0.25, 0.5, 1, 2, 4, 8, 16, 32}

// PlaybackInput is 4.5.1.2's or 4.5.1.4's request after decoding.
type PlaybackInput struct {
	ChannelRef
	URLType     int // URLType* (each section's codes are mapped by the handler)
	Storage     string
	From, To    time.Time
	RecordID    string // 4.5.1.4
	Network     int
	Speed       float64
	TTL         time.Duration
	VideoEncode *int
	AudioEncode *int
}

type playParams struct {
	appID    string
	d        *domain.Device
	target   string
	storage  string
	from, to time.Time
	speed    float64
}

type playback struct {
	params playParams
	sess   PlaySession // cloud
	live   *liveStream // device storage
	idle   *time.Timer
}

type playbacks struct {
	mu    sync.Mutex
	m     map[string]*playback
	ended map[string]playParams // finished sessions a viewer may restart
}

// GetPlaybackURL starts playing recordings and returns a signed URL for them.
func (a *App) GetPlaybackURL(ctx context.Context, appID string, in PlaybackInput) (LiveURL, error) {
	if err := validatePlayback(&in); err != nil {
		return LiveURL{}, err
	}
	if a.urlPort(in.URLType) == 0 {
		return LiveURL{}, domain.InvalidField("type", "%s is not enabled on this node", urlTypeName(in.URLType))
	}
	d, target, err := a.resolveChannel(ctx, appID, in.ChannelRef, "playback")
	if err != nil {
		return LiveURL{}, err
	}
	if in.RecordID != "" {
		if err := a.rangeOfRecord(ctx, appID, target, &in); err != nil {
			return LiveURL{}, err
		}
	}
	p := playParams{appID: appID, d: d, target: target, storage: in.Storage, from: in.From, to: in.To, speed: in.Speed}
	path := "rec/" + randomID()
	if err := a.startPlayback(ctx, path, p); err != nil {
		return LiveURL{}, err
	}
	if err := a.checkCodecs(path, LiveURLInput{VideoEncode: in.VideoEncode, AudioEncode: in.AudioEncode}); err != nil {
		a.stopPlayback(path, "codec refused")
		return LiveURL{}, err
	}
	exp := a.now().Add(in.TTL).Truncate(time.Second)
	return LiveURL{URL: a.streamURL(in.URLType, in.Network, path, appID, exp), Expires: exp}, nil
}

func validatePlayback(in *PlaybackInput) error {
	if err := validateNetwork(&in.Network); err != nil {
		return err
	}
	if err := validateTTL("effectiveTime", &in.TTL, DefaultLiveTTL); err != nil {
		return err
	}
	if in.Speed == 0 {
		in.Speed = 1
	}
	ok := false
	for _, s := range playbackSpeeds {
		ok = ok || s == in.Speed
	}
	if !ok {
		return domain.InvalidField("speed", "must be one of 0.25, 0.5, 1, 2, 4, 8, 16, 32, got %g", in.Speed)
	}
	if in.RecordID == "" {
		if !in.To.After(in.From) {
			return domain.InvalidField("endTime", "must be after beginTime")
		}
		if in.To.Sub(in.From) > maxRecordRange {
			return domain.InvalidField("endTime", "range longer than %d days", int(maxRecordRange.Hours()/24))
		}
	}
	switch in.Storage {
	case StorageCloud, StorageDevice:
	default:
		if in.RecordID == "" { // a recordId says where the recording is
			return domain.InvalidField("storageType", "must be 0 (cloud) or 1 (device)")
		}
	}
	return nil
}

// rangeOfRecord fills storage and range from a recordId (optionally narrowed by the
// request's startTime/endTime).
func (a *App) rangeOfRecord(ctx context.Context, appID, target string, in *PlaybackInput) error {
	var start, end time.Time
	if src, s, e, ok := ParseDeviceRecordID(in.RecordID); ok {
		if src != target {
			return domain.InvalidField("recordId", "recording %s is not of %s", in.RecordID, target)
		}
		in.Storage, start, end = StorageDevice, s, e
	} else {
		r, err := a.recordingOf(ctx, appID, in.RecordID, target)
		if err != nil {
			return err
		}
		in.Storage, start, end = StorageCloud, r.Start, r.End
	}
	if !in.From.IsZero() {
		if in.To.IsZero() {
			return domain.InvalidField("endTime", "is required with startTime")
		}
		if in.From.Before(start) || !in.To.After(in.From) {
			return domain.InvalidField("startTime", "must lie within the recording and before endTime")
		}
		start = in.From
		if in.To.Before(end) {
			end = in.To
		}
	}
	in.From, in.To = start, end
	return nil
}

func (a *App) startPlayback(ctx context.Context, path string, p playParams) error {
	pb := &playback{params: p}
	switch p.storage {
	case StorageCloud:
		recs, err := a.readableRecordings(ctx, p.target, p.from, p.to)
		if err != nil {
			return err
		}
		sess, err := a.rec.opts.Player.Play(ctx, path, recs, p.from, p.to, p.speed)
		if err != nil {
			return domain.Errorf(domain.CodeUnavailable, "playback of %s did not start: %v", p.target, err)
		}
		pb.sess = sess
	case StorageDevice:
		if err := online(p.d); err != nil {
			return err
		}
		s, err := a.startDevicePlayback(ctx, path, p)
		if err != nil {
			return err
		}
		pb.live = s
	}
	a.plays.mu.Lock()
	if a.plays.m == nil {
		a.plays.m = map[string]*playback{}
	}
	a.plays.m[path] = pb
	a.plays.mu.Unlock()
	a.armPlaybackIdle(path, pb)
	go func() {
		<-pb.done()
		a.stopPlayback(path, "ended")
	}()
	return nil
}

func (pb *playback) done() <-chan struct{} {
	if pb.sess != nil {
		return pb.sess.Done()
	}
	return pb.live.sess.Done()
}

// readableRecordings returns the recordings of [from, to), refusing archived ones that
// were not unfrozen.
func (a *App) readableRecordings(ctx context.Context, target string, from, to time.Time) ([]domain.Recording, error) {
	recs, err := a.store.Recordings(ctx, domain.RecordingQuery{Target: target, From: from, To: to})
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, domain.Errorf(domain.CodeValidation, "no cloud recordings of %s between %s and %s", target,
			from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	for _, r := range recs {
		if a.archived(r) {
			return nil, domain.Errorf(domain.CodeValidation, "recording %s is archived: unfreeze it first (4.5.1.7)", cloudRecordID(r.ID))
		}
	}
	return recs, nil
}

// tier is a recording's storage tier (storagePolicy): 0 standard, 2 archive.
func (a *App) tier(r domain.Recording) int {
	if a.rec.opts.ArchiveAfter > 0 && a.now().Sub(r.End) > a.rec.opts.ArchiveAfter {
		return 2
	}
	return 0
}

func (a *App) archived(r domain.Recording) bool {
	return a.tier(r) == 2 && !r.ThawedTo.After(a.now())
}

// startDevicePlayback INVITEs the device for a Playback of its own storage.
func (a *App) startDevicePlayback(ctx context.Context, path string, p playParams) (*liveStream, error) {
	s := &liveStream{path: path, ready: make(chan struct{})}
	sctx, cancel := context.WithTimeout(ctx, a.media.opts.StartTimeout)
	defer cancel()
	req := StreamRequest{Target: p.target, Playback: true, Start: p.from, End: p.to}
	if err := a.inviteInto(sctx, s, p.d, req, p.speed); err != nil {
		return nil, a.streamFailure(path, p.target, err)
	}
	close(s.ready)
	return s, nil
}

// streamFailure counts and explains a stream that did not start.
func (a *App) streamFailure(path, target string, err error) error {
	cause := StreamCause(err)
	if errors.Is(err, context.DeadlineExceeded) && cause == CauseOther {
		cause = CauseInviteTimeout
	}
	a.log.Warn("stream did not start", "path", path, "cause", cause, "err", err)
	if a.media.onFailure != nil {
		a.media.onFailure(cause)
	}
	return domain.Errorf(codeForCause(cause), "no video from %s: %v (%s)", target, err, cause)
}

func (a *App) armPlaybackIdle(path string, pb *playback) {
	a.plays.mu.Lock()
	defer a.plays.mu.Unlock()
	if pb.idle != nil {
		pb.idle.Stop()
	}
	if a.media.opts.Hub.Readers(path) > 0 {
		return
	}
	pb.idle = time.AfterFunc(a.media.opts.IdleTimeout, func() {
		if a.media.opts.Hub.Readers(path) == 0 {
			a.stopPlayback(path, "idle")
		}
	})
}

func (a *App) stopPlayback(path, reason string) {
	a.plays.mu.Lock()
	pb := a.plays.m[path]
	delete(a.plays.m, path)
	a.plays.mu.Unlock()
	if pb == nil {
		return
	}
	if pb.idle != nil {
		pb.idle.Stop()
	}
	if pb.sess != nil {
		pb.sess.Close()
	}
	if pb.live != nil {
		a.stopStream(pb.live, reason)
	}
	// Keep the parameters so a viewer returning with a valid URL can restart it.
	a.plays.mu.Lock()
	if a.plays.ended == nil {
		a.plays.ended = map[string]playParams{}
	}
	a.plays.ended[path] = pb.params
	a.plays.mu.Unlock()
}

// playbackReadersChanged arms or cancels a playback's idle close.
func (a *App) playbackReadersChanged(path string, readers int) {
	a.plays.mu.Lock()
	pb := a.plays.m[path]
	if pb != nil && readers > 0 && pb.idle != nil {
		pb.idle.Stop()
	}
	a.plays.mu.Unlock()
	if pb != nil && readers == 0 {
		a.armPlaybackIdle(path, pb)
	}
}

// demandPlayback restarts an ended playback for a viewer whose token names appID.
func (a *App) demandPlayback(ctx context.Context, appID, path string) error {
	a.plays.mu.Lock()
	p, ok := a.plays.ended[path]
	_, running := a.plays.m[path]
	a.plays.mu.Unlock()
	if running {
		return nil
	}
	if !ok || p.appID != appID {
		return fmt.Errorf("no playback %q", path)
	}
	return a.startPlayback(ctx, path, p)
}
