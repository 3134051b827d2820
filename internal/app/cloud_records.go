package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// Cloud recordings (storageType 0) for 4.5.1.3 list, 4.5.1.8 calendar, 4.5.1.5 download,
// 4.5.1.6 delete, 4.5.1.7 unfreeze and 4.4.1.8 history thumbnails.

// cloudTarget resolves the camera whose cloud recordings a request means.
func (a *App) cloudTarget(ctx context.Context, appID string, ref ChannelRef) (*domain.Device, string, error) {
	return a.resolveChannel(ctx, appID, ref, "cloud recording")
}

// listCloud lists cloud recordings of [from, to) as 4.5.1.3 entries (one more than limit,
// so the caller knows whether there are more).
func (a *App) listCloud(ctx context.Context, appID string, in RecordListInput) ([]RecordEntry, error) {
	_, target, err := a.cloudTarget(ctx, appID, ChannelRef{DeviceSn: in.DeviceSn, ChannelID: in.ChannelID})
	if err != nil {
		return nil, err
	}
	recs, err := a.store.Recordings(ctx, domain.RecordingQuery{
		Target: target, From: in.Start, To: in.End, Type: cloudRecordType(in.RecordType), AlarmType: in.AlarmType,
		Descending: in.Descending, Limit: in.PageSize + 1,
	})
	if err != nil {
		return nil, err
	}
	ttl := in.ThumbnailTTL
	if err := validateTTL("effectiveTime", &ttl, DefaultThumbnailTTL); err != nil {
		return nil, err
	}
	network := in.Network
	if err := validateNetwork(&network); err != nil {
		return nil, err
	}
	exp := a.now().Add(ttl).Truncate(time.Second)
	out := make([]RecordEntry, len(recs))
	for i, r := range recs {
		out[i] = RecordEntry{
			RecordID: cloudRecordID(r.ID), ClusterID: a.platform.ID, StorageType: StorageCloud, RecordType: r.Type,
			Start: r.Start, End: r.End, StoragePolicy: a.tier(r), Expires: exp,
			ThumbnailURL: a.signedURL(network, recordThumbPath(r.ID, in.ThumbWidth, in.ThumbHeight), appID, exp),
		}
		if r.Type == 2 {
			t := r.AlarmType
			out[i].AlarmType = &t
		}
	}
	return out, nil
}

// cloudRecordType maps 4.5.1.3/4.5.1.8's recordType to the index's filter: 1 lists every
// recording of the full-day plan (alarm ones included, as they are part of the continuous
// recording), 2 only the alarm recordings.
func cloudRecordType(recordType int) int {
	if recordType == 2 {
		return 2
	}
	return 0
}

// recordThumbPath is the media-HTTP path of a recording's thumbnail at a size.
func recordThumbPath(id int64, w, h int) string {
	return fmt.Sprintf("thumbs/%s/%dx%d.jpg", cloudRecordID(id), w, h)
}

// RecordingThumbnail returns (making it once) the JPEG of a recording's first keyframe for
// the media HTTP path thumbs/<recordId>/<w>x<h>.jpg, already authorised by its token.
func (a *App) RecordingThumbnail(ctx context.Context, path string) (string, error) {
	f := strings.Split(path, "/")
	var w, h int
	if len(f) != 3 || f[0] != "thumbs" {
		return "", domain.ErrNotFound
	}
	if _, err := fmt.Sscanf(f[2], "%dx%d.jpg", &w, &h); err != nil {
		return "", domain.ErrNotFound
	}
	id, ok := parseCloudRecordID(f[1])
	if !ok {
		return "", domain.ErrNotFound
	}
	r, err := a.store.Recording(ctx, id)
	if err != nil {
		return "", err
	}
	key := fmt.Sprintf("thumbnails/rec/%s/%d-%dx%d.jpg", r.AppID, r.ID, w, h)
	if a.media.opts.Files.Exists(ctx, key) {
		return key, nil
	}
	jpeg, err := a.rec.opts.Player.Picture(ctx, []domain.Recording{r}, r.Start, w, h)
	if err != nil {
		return "", err
	}
	return key, a.media.opts.Files.Put(ctx, key, jpeg)
}

// cloudDays lists which days have cloud recordings (4.5.1.8).
func (a *App) cloudDays(ctx context.Context, appID, sn string, channelID *int, recordType int, from, to time.Time) ([]domain.Recording, error) {
	_, target, err := a.cloudTarget(ctx, appID, ChannelRef{DeviceSn: sn, ChannelID: channelID})
	if err != nil {
		return nil, err
	}
	return a.store.Recordings(ctx, domain.RecordingQuery{Target: target, From: from, To: to, Type: cloudRecordType(recordType)})
}

// DownloadInput is 4.5.1.5's request after decoding.
type DownloadInput struct {
	ChannelRef
	RecordID string
	Network  int
	TTL      time.Duration
}

// GetDownloadURL returns the URL of an MP4 of a cloud recording (4.5.1.5), made once and
// kept next to it.
func (a *App) GetDownloadURL(ctx context.Context, appID string, in DownloadInput) (LiveURL, error) {
	if err := validateNetwork(&in.Network); err != nil {
		return LiveURL{}, err
	}
	if err := validateTTL("effectiveTime", &in.TTL, DefaultLiveTTL); err != nil {
		return LiveURL{}, err
	}
	_, target, err := a.cloudTarget(ctx, appID, in.ChannelRef)
	if err != nil {
		return LiveURL{}, err
	}
	r, err := a.recordingOf(ctx, appID, in.RecordID, target)
	if err != nil {
		return LiveURL{}, err
	}
	if a.archived(r) {
		return LiveURL{}, domain.Errorf(domain.CodeValidation, "recording %s is archived: unfreeze it first (4.5.1.7)", in.RecordID)
	}
	key := fmt.Sprintf("downloads/%s/%d.mp4", appID, r.ID)
	if !a.media.opts.Files.Exists(ctx, key) {
		if _, err := a.rec.opts.Player.Export(ctx, key, []domain.Recording{r}, r.Start, r.End); err != nil {
			return LiveURL{}, domain.Errorf(domain.CodeUnavailable, "MP4 of %s not made: %v", in.RecordID, err)
		}
	}
	exp := a.now().Add(in.TTL).Truncate(time.Second)
	return LiveURL{URL: a.fileURL(in.Network, key, appID, exp), Expires: exp}, nil
}

// DeleteRecordsInput is 4.5.1.6's request after decoding.
type DeleteRecordsInput struct {
	ChannelRef
	RecordID   string
	Start, End time.Time
}

// DeleteCloudRecords deletes cloud recordings by recordId or time range (4.5.1.6). A range
// deletes the segments lying entirely inside it, so nothing outside the range is lost.
func (a *App) DeleteCloudRecords(ctx context.Context, appID string, in DeleteRecordsInput) (int, error) {
	_, target, err := a.cloudTarget(ctx, appID, in.ChannelRef)
	if err != nil {
		return 0, err
	}
	var recs []domain.Recording
	switch {
	case in.RecordID != "":
		r, err := a.recordingOf(ctx, appID, in.RecordID, target)
		if err != nil {
			return 0, err
		}
		recs = []domain.Recording{r}
	case !in.Start.IsZero() && !in.End.IsZero():
		if !in.End.After(in.Start) {
			return 0, domain.InvalidField("endTime", "must be after startTime")
		}
		all, err := a.store.Recordings(ctx, domain.RecordingQuery{Target: target, From: in.Start, To: in.End})
		if err != nil {
			return 0, err
		}
		for _, r := range all {
			if !r.Start.Before(in.Start) && !r.End.After(in.End) {
				recs = append(recs, r)
			}
		}
	default:
		return 0, domain.InvalidField("recordId", "give recordId, or startTime and endTime")
	}
	return len(recs), a.deleteRecordings(ctx, recs)
}

// UnfreezeInput is 4.5.1.7's request after decoding.
type UnfreezeInput struct {
	ChannelRef
	Start, End     time.Time
	NextFreezeHour int
}

// Unfreeze makes archived recordings of a range readable for NextFreezeHour hours
// (4.5.1.7); when they are, msgType 6 is pushed.
func (a *App) Unfreeze(ctx context.Context, appID string, in UnfreezeInput) error {
	if in.NextFreezeHour == 0 {
		in.NextFreezeHour = 24
	}
	if in.NextFreezeHour < 0 || in.NextFreezeHour%24 != 0 || in.NextFreezeHour > 24*365 {
		return domain.InvalidField("nextFreezeHour", "must be a multiple of 24 hours, got %d", in.NextFreezeHour)
	}
	if in.End.IsZero() {
		in.End = a.now()
	}
	if !in.End.After(in.Start) {
		return domain.InvalidField("endTime", "must be after startTime")
	}
	d, target, err := a.cloudTarget(ctx, appID, in.ChannelRef)
	if err != nil {
		return err
	}
	until := a.now().Add(a.rec.opts.ThawDelay + time.Duration(in.NextFreezeHour)*time.Hour)
	n, err := a.store.ThawRecordings(ctx, target, in.Start, in.End, until)
	if err != nil {
		return err
	}
	msg := domain.ThawMsg{
		DeviceSn: d.DeviceSn, ChannelSn: target, StartTime: domain.Millis(in.Start), EndTime: domain.Millis(in.End),
		Status: 1, FileCount: n, NextFreezeTime: domain.Millis(until),
	}
	go func() {
		time.Sleep(a.rec.opts.ThawDelay)
		if err := a.store.Publish(context.Background(), domain.Event{AppID: appID, MsgType: domain.MsgThaw, Data: msg}); err != nil {
			a.log.Error("thaw push", "err", err)
			return
		}
		a.pushed()
	}()
	return nil
}
