package northbound

import (
	"context"
	"time"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/domain"
)

// 4.5.1.1 live URL, 4.4.1.8 thumbnail and 4.4.1.12–14 platform snapshots.
func (s *Server) mediaRoutes(m map[string]handlerFunc) {
	m["GET /cmiot/v2/api/device/live/url"] = s.liveURL
	m["GET /cmiot/v2/device/thumbnail"] = s.thumbnail
	m["POST /cmiot/v2/api/device/snapshot"] = s.snapshotTake
	m["GET /cmiot/v2/api/device/snapshot/list"] = s.snapshotList
	m["DELETE /cmiot/v2/api/device/snapshot"] = s.snapshotDelete
}

// cameraRef reads deviceSn and the optional channelId.
func cameraRef(d *Decoder) app.ChannelRef {
	return app.ChannelRef{DeviceSn: d.String("deviceSn", Required), ChannelID: d.OptInt("channelId")}
}

// seconds reads a duration given in whole seconds (0 when absent).
func seconds(d *Decoder, name string) time.Duration {
	if n := d.OptInt(name); n != nil {
		if *n < 1 {
			d.Fail(name, "must be a positive number of seconds, got %d", *n)
		}
		return time.Duration(*n) * time.Second
	}
	return 0
}

type liveURLResponse struct {
	URL        string `json:"url"`
	ExpireTime int64  `json:"expireTime"`
}

// 4.5.1.1
func (s *Server) liveURL(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.LiveURLInput{
		ChannelRef:  cameraRef(d),
		URLType:     d.Int("urlType", Required),
		Network:     d.Int("urlNetworkType", Optional),
		DataType:    d.Int("dataType", Optional),
		VideoEncode: d.OptInt("videoEncode"),
		AudioEncode: d.OptInt("audioEncode"),
		TTL:         seconds(d, "effectiveTime"),
	}
	in.StreamNumber = d.Int("streamType", Optional) // extension: 0 main, 1 sub
	if err := d.Err(); err != nil {
		return nil, err
	}
	u, err := s.app.GetLiveURL(ctx, c.Tenant.AppID, in)
	if err != nil {
		return nil, err
	}
	return liveURLResponse{URL: u.URL, ExpireTime: u.Expires.UnixMilli()}, nil
}

type thumbnailResponse struct {
	URL       string `json:"url"`
	DeviceSn  string `json:"deviceSn"`
	ChannelID *int   `json:"channelId,omitempty"`
}

// 4.4.1.8. The request's "timestamp" is a point in the recordings; it shares its name with
// the signing header, which is a header, so the two never meet.
func (s *Server) thumbnail(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.ThumbnailInput{
		ChannelRef: cameraRef(d),
		Network:    d.Int("urlNetworkType", Optional),
		Width:      d.Int("sizeWidth", Optional),
		Height:     d.Int("sizeHeight", Optional),
		TTL:        seconds(d, "effectiveTime"),
		UseCache:   d.Flag("useCache"),
	}
	if t := d.Millis("timestamp", Optional); !t.IsZero() {
		in.Timestamp = &t
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	t, err := s.app.GetThumbnail(ctx, c.Tenant.AppID, in)
	if err != nil {
		return nil, err
	}
	return thumbnailResponse{URL: t.URL, DeviceSn: t.DeviceSn, ChannelID: t.ChannelID}, nil
}

type snapshotTakeResponse struct {
	PictureID string `json:"pictureId"`
	SnapTime  string `json:"snapTime"`
}

// 4.4.1.12. The spec gives no response; vionet returns the new picture's id (an addition
// that clients ignoring data are unaffected by).
func (s *Server) snapshotTake(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	ref := cameraRef(d)
	if err := d.Err(); err != nil {
		return nil, err
	}
	p, err := s.app.TakeSnapshot(ctx, c.Tenant.AppID, ref)
	if err != nil {
		return nil, err
	}
	return snapshotTakeResponse{PictureID: p.PictureID, SnapTime: domain.Millis(p.SnapTime)}, nil
}

type snapshotView struct {
	PictureURL  string `json:"pictureUrl"`
	PictureID   string `json:"pictureId"`
	SnapTime    string `json:"snapTime"`
	SnapType    int    `json:"snaptype"`
	PictureSize int    `json:"pictureSize"` // KB, rounded up
	DeviceSn    string `json:"deviceSn"`
	ChannelSn   string `json:"channelSn"`
}

// 4.4.1.13
func (s *Server) snapshotList(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.SnapshotListInput{
		ChannelRef: cameraRef(d),
		Network:    d.Int("urlNetworkType", Optional),
		SnapType:   d.Int("snaptype", Optional),
		Start:      d.Millis("startTime", Optional),
		End:        d.Millis("endTime", Optional),
	}
	page, size := d.PageRequest()
	in.Page = app.Page{Page: page, PageSize: size}
	if err := d.Err(); err != nil {
		return nil, err
	}
	list, total, err := s.app.Snapshots(ctx, c.Tenant.AppID, in)
	if err != nil {
		return nil, err
	}
	items := make([]snapshotView, len(list))
	for i, p := range list {
		items[i] = snapshotView{
			PictureURL: p.URL, PictureID: p.PictureID, SnapTime: domain.Millis(p.SnapTime),
			SnapType: p.SnapType, PictureSize: (p.Size + 1023) / 1024, DeviceSn: p.DeviceSn, ChannelSn: p.Target,
		}
	}
	return List{Items: items, Total: total, Page: page, PageSize: size}, nil
}

// 4.4.1.14
func (s *Server) snapshotDelete(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	ref := cameraRef(d)
	id := d.String("pictureId", Required)
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.DeleteSnapshot(ctx, c.Tenant.AppID, ref, id)
}
