package daemon

import (
	"net"
	"time"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/conf"
	"github.com/vionet/vionet/internal/media/token"
)

// OperatorURLs are the URLs `vionet media url` prints for a path.
type OperatorURLs struct {
	Path    string `json:"path"`
	Expires string `json:"expires"`
	RTSP    string `json:"rtsp,omitempty"`
	RTMP    string `json:"rtmp,omitempty"`
	HTTPFLV string `json:"httpFlv,omitempty"`
	HLS     string `json:"hls,omitempty"`
	// Publish is an RTMP URL an encoder (ffmpeg, OBS) pushes the path to.
	Publish string `json:"publish,omitempty"`
}

// MediaURLs signs operator URLs for path with the node's media key: viewer URLs of every
// protocol, and with publish an RTMP publish URL too. Hosts and ports come from cfg
// (public-host and the listen ports), so they are right for a node started with cfg.
func MediaURLs(cfg conf.Config, path string, publish bool, ttl time.Duration) (OperatorURLs, error) {
	key, err := loadMediaKey(cfg)
	if err != nil {
		return OperatorURLs{}, err
	}
	exp := time.Now().Add(ttl).Truncate(time.Second)
	read := key.Sign(token.Claims{Path: path, Action: token.Read, Expires: exp})
	out := OperatorURLs{Path: path, Expires: exp.Format(time.RFC3339)}
	hostport := func(addr string) string {
		_, port, _ := net.SplitHostPort(addr)
		return net.JoinHostPort(cfg.PublicHost, port)
	}
	if cfg.RTSPAddr != "" {
		out.RTSP = app.StreamURL(app.URLTypeRTSP, hostport(cfg.RTSPAddr), path, read)
	}
	if cfg.RTMPAddr != "" {
		out.RTMP = app.StreamURL(app.URLTypeRTMP, hostport(cfg.RTMPAddr), path, read)
		if publish {
			pub := key.Sign(token.Claims{Path: path, Action: token.Publish, Expires: exp})
			out.Publish = app.StreamURL(app.URLTypeRTMP, hostport(cfg.RTMPAddr), path, pub)
		}
	}
	out.HTTPFLV = app.StreamURL(app.URLTypeHTTPFLV, hostport(cfg.MediaHTTPAddr), path, read)
	out.HLS = app.StreamURL(app.URLTypeHLS, hostport(cfg.MediaHTTPAddr), path, read)
	return out, nil
}
