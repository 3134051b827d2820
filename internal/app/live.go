package app

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// Live view (4.5.1.1): validate the request, make sure the camera's stream is up (see
// live_streams.go), check the codecs asked for against what the device sends (vionet never
// transcodes video), and sign a URL for the protocol asked for.

// URL types of 4.5.1.1 (urlType), plus HTTP-FLV as vionet's extension.
const (
	URLTypeRTMP    = 1
	URLTypeHLS     = 2
	URLTypeRTSP    = 3
	URLTypeHTTPFLV = 4 // extension: not in 4.5.1.1's list, 4.5.1.2 numbers HTTP-FLV 4 too
)

// URL network types (urlNetworkType).
const (
	NetworkIntranet = 1
	NetworkPublic   = 2
)

// Defaults and bounds of 4.5.1.1 and 4.4.1.8.
const (
	DefaultLiveTTL      = 300 * time.Second // effectiveTime default "5分钟"
	DefaultThumbnailTTL = 600 * time.Second
	MaxURLTTL           = 7 * 24 * time.Hour
)

type mediaState struct {
	opts      MediaOptions
	onFailure func(cause string)
}

// SetMedia wires the media side (ingest, hub, snapshots, files, URL signing). onFailure, if
// set, is called with the cause of every failed stream start (for a metric).
func (a *App) SetMedia(o MediaOptions, onFailure func(cause string)) {
	if o.StartTimeout <= 0 {
		o.StartTimeout = 10 * time.Second
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 30 * time.Second
	}
	a.media = mediaState{opts: o, onFailure: onFailure}
	a.live.m = map[string]*liveStream{}
}

// SetStreamDriver wires the driver that makes devices send streams (GB/T 28181 INVITE).
func (a *App) SetStreamDriver(d StreamDriver) { a.streams = d }

// LiveURLInput is 4.5.1.1's request after decoding.
type LiveURLInput struct {
	ChannelRef
	URLType      int
	Network      int           // urlNetworkType, default public
	DataType     int           // 1 video, 2 audio, 3 both (default)
	VideoEncode  *int          // 0 H264, 1 H265
	AudioEncode  *int          // 0 AAC, 1 G711A
	TTL          time.Duration // effectiveTime
	StreamNumber int           // extension streamType: 0 main, 1 sub
}

// LiveURL is 4.5.1.1's answer.
type LiveURL struct {
	URL     string
	Expires time.Time
}

// GetLiveURL starts (or joins) a camera's live stream and returns a signed URL for it.
func (a *App) GetLiveURL(ctx context.Context, appID string, in LiveURLInput) (LiveURL, error) {
	if err := validateLive(&in); err != nil {
		return LiveURL{}, err
	}
	if a.urlPort(in.URLType) == 0 {
		return LiveURL{}, domain.InvalidField("urlType", "%s is not enabled on this node", urlTypeName(in.URLType))
	}
	d, target, err := a.resolveChannel(ctx, appID, in.ChannelRef, "live view")
	if err != nil {
		return LiveURL{}, err
	}
	if err := online(d); err != nil {
		return LiveURL{}, err
	}
	path, err := a.ensureStream(ctx, d, target, in.StreamNumber)
	if err != nil {
		return LiveURL{}, err
	}
	if err := a.checkCodecs(path, in); err != nil {
		return LiveURL{}, err
	}
	exp := a.now().Add(in.TTL).Truncate(time.Second)
	return LiveURL{URL: a.streamURL(in.URLType, in.Network, path, appID, exp), Expires: exp}, nil
}

func validateLive(in *LiveURLInput) error {
	switch in.URLType {
	case URLTypeRTMP, URLTypeHLS, URLTypeRTSP, URLTypeHTTPFLV:
	default:
		return domain.InvalidField("urlType", "must be 1 (rtmp), 2 (hls), 3 (rtsp) or 4 (http-flv), got %d", in.URLType)
	}
	if err := validateNetwork(&in.Network); err != nil {
		return err
	}
	switch in.DataType {
	case 0:
		in.DataType = 3
	case 1, 3:
	case 2:
		return domain.InvalidField("dataType", "audio-only streams (2) are not offered: vionet serves the camera's stream as it is sent; ask for 1 or 3")
	default:
		return domain.InvalidField("dataType", "must be 1 (video), 2 (audio) or 3 (audio and video), got %d", in.DataType)
	}
	if v := in.VideoEncode; v != nil && *v != 0 && *v != 1 {
		return domain.InvalidField("videoEncode", "must be 0 (H264) or 1 (H265), got %d", *v)
	}
	if v := in.AudioEncode; v != nil && *v != 0 && *v != 1 {
		return domain.InvalidField("audioEncode", "must be 0 (AAC) or 1 (G711A), got %d", *v)
	}
	if in.StreamNumber < 0 || in.StreamNumber > 1 {
		return domain.InvalidField("streamType", "must be 0 (main) or 1 (sub), got %d", in.StreamNumber)
	}
	return validateTTL("effectiveTime", &in.TTL, DefaultLiveTTL)
}

func validateNetwork(n *int) error {
	switch *n {
	case 0:
		*n = NetworkPublic
	case NetworkIntranet, NetworkPublic:
	default:
		return domain.InvalidField("urlNetworkType", "must be 1 (intranet) or 2 (public), got %d", *n)
	}
	return nil
}

func validateTTL(field string, ttl *time.Duration, def time.Duration) error {
	switch {
	case *ttl == 0:
		*ttl = def
	case *ttl < time.Second || *ttl > MaxURLTTL:
		return domain.InvalidField(field, "must be 1-%d seconds, got %d", int(MaxURLTTL/time.Second), int(*ttl/time.Second))
	}
	return nil
}

// checkCodecs refuses a request for a codec the device does not send (no transcoding).
func (a *App) checkCodecs(path string, in LiveURLInput) error {
	video, audio := a.media.opts.Hub.Codecs(path)
	if v := in.VideoEncode; v != nil {
		want := [...]string{"H264", "H265"}[*v]
		if video != want {
			return domain.InvalidField("videoEncode", "the camera sends %s, not %s; vionet does not transcode video", orNone(video), want)
		}
	}
	if v := in.AudioEncode; v != nil {
		want := [...]string{"AAC", "G711A"}[*v]
		if audio != want {
			return domain.InvalidField("audioEncode", "the camera sends %s audio, not %s", orNone(audio), want)
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "no"
	}
	return s
}

func urlTypeName(t int) string {
	switch t {
	case URLTypeRTMP:
		return "RTMP"
	case URLTypeHLS:
		return "HLS"
	case URLTypeRTSP:
		return "RTSP"
	case URLTypeHTTPFLV:
		return "HTTP-FLV"
	}
	return "urlType " + strconv.Itoa(t)
}

func (a *App) urlPort(t int) int {
	o := a.media.opts
	switch t {
	case URLTypeRTMP:
		return o.RTMPPort
	case URLTypeRTSP:
		return o.RTSPPort
	case URLTypeHLS, URLTypeHTTPFLV:
		return o.HTTPPort
	}
	return 0
}

// host returns this node's host for a URL network type.
func (a *App) host(network int) string {
	if network == NetworkIntranet {
		return a.platform.IntranetHost
	}
	return a.platform.PublicHost
}

// streamURL signs a viewer URL for path in the URL forms the media servers serve.
func (a *App) streamURL(urlType, network int, path, appID string, exp time.Time) string {
	tok := a.media.opts.Signer.Sign(path, appID, exp)
	return StreamURL(urlType, net.JoinHostPort(a.host(network), strconv.Itoa(a.urlPort(urlType))), path, tok)
}

// StreamURL formats the URL of path for a URL type (URLType*) on the media server at
// hostport, carrying tok: rtsp://H/<path>?token=T, rtmp://H/<path>?token=T,
// http://H/flv/<path>.flv?token=T, http://H/hls/T/<path>/index.m3u8 (HLS carries the token in
// the path so the relative URLs inside its playlists carry it too).
func StreamURL(urlType int, hostport, path, tok string) string {
	q := "?token=" + url.QueryEscape(tok)
	switch urlType {
	case URLTypeRTMP:
		return "rtmp://" + hostport + "/" + path + q
	case URLTypeHLS:
		return "http://" + hostport + "/hls/" + tok + "/" + path + "/index.m3u8"
	case URLTypeHTTPFLV:
		return "http://" + hostport + "/flv/" + path + ".flv" + q
	}
	return "rtsp://" + hostport + "/" + path + q
}

// fileURL signs a download URL for a stored file (pictures, recordings, clips).
func (a *App) fileURL(network int, key, appID string, exp time.Time) string {
	return a.signedURL(network, "files/"+key, appID, exp)
}

// signedURL signs an http URL on the media HTTP listener for path.
func (a *App) signedURL(network int, path, appID string, exp time.Time) string {
	tok := a.media.opts.Signer.Sign(path, appID, exp)
	hostport := net.JoinHostPort(a.host(network), strconv.Itoa(a.media.opts.HTTPPort))
	return "http://" + hostport + "/" + path + "?token=" + url.QueryEscape(tok)
}
