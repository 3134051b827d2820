package e2e

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/mediatest"
	"github.com/vionet/vionet/internal/southbound/gb28181/refdevice"
	"github.com/vionet/vionet/sdk"
)

// liveFlags make the idle BYE quick enough to observe.
var liveFlags = append([]string{"--live-idle-timeout", "2s"}, gbServerFlags...)

// A tenant asks 4.5.1.1 for each URL type of a GB/T 28181 camera and ffprobe reads every one
// with the camera's codec and size; all viewers share one INVITE; tampered and expired tokens
// are refused on every protocol; the device gets a BYE once nobody watches.
func TestLiveView(t *testing.T) {
	rtp, rtcp := mediatest.FreeUDPPair(t)
	s := startServer(t, engines(t)[0], append(liveFlags, "--rtsp-udp-rtp-addr", rtp, "--rtsp-udp-rtcp-addr", rtcp)...)
	k := s.addTenant()
	c := s.client(k)
	cam, dev := addCamera(t, s, k, c, nil)

	live := func(urlType int, mod ...func(*sdk.LiveURLRequest)) string {
		t.Helper()
		req := sdk.LiveURLRequest{DeviceSn: cam.DeviceSn, URLType: urlType}
		for _, m := range mod {
			m(&req)
		}
		u, err := c.GetLiveURL(ctx(t), req)
		if err != nil {
			t.Fatalf("live url type %d: %v", urlType, err)
		}
		if u.ExpireTime < time.Now().Add(4*time.Minute).UnixMilli() {
			t.Fatalf("expireTime %d is not ~5 min ahead", u.ExpireTime)
		}
		return u.URL
	}

	began := time.Now()
	rtspURL := live(sdk.URLTypeRTSP)
	t.Logf("live start (API call until the first keyframe arrived): %s", time.Since(began).Round(time.Millisecond))
	if !strings.HasPrefix(rtspURL, "rtsp://127.0.0.1:") {
		t.Fatalf("rtsp url %s", rtspURL)
	}
	urls := map[string]string{
		"rtsp": rtspURL, "rtmp": live(sdk.URLTypeRTMP), "hls": live(sdk.URLTypeHLS), "http-flv": live(sdk.URLTypeHTTPFLV),
	}
	wantVideo(t, "rtsp over tcp", urls["rtsp"], "h264", "-rtsp_transport", "tcp")
	wantVideo(t, "rtsp over udp", urls["rtsp"], "h264", "-rtsp_transport", "udp")
	wantVideo(t, "rtmp", urls["rtmp"], "h264")
	wantVideo(t, "http-flv", urls["http-flv"], "h264")
	wantVideo(t, "hls", urls["hls"], "h264")
	if st := dev.MediaStats(); st.InvitesReceived != 1 {
		t.Fatalf("%d INVITEs for 5 viewers, want 1 shared", st.InvitesReceived)
	}
	for name, u := range urls {
		wantRefused(t, name+" tampered token", tamper(u), "-rtsp_transport", "tcp")
	}
	wantRefused(t, "rtsp for another stream", strings.Replace(urls["rtsp"], "/0?", "/1?", 1))

	// effectiveTime 1 s: refused on every protocol once expired.
	short := map[string]string{}
	for name, typ := range map[string]int{"rtsp": sdk.URLTypeRTSP, "rtmp": sdk.URLTypeRTMP, "hls": sdk.URLTypeHLS, "http-flv": sdk.URLTypeHTTPFLV} {
		u, err := c.GetLiveURL(ctx(t), sdk.LiveURLRequest{DeviceSn: cam.DeviceSn, URLType: typ, EffectiveTime: 1})
		if err != nil {
			t.Fatal(err)
		}
		short[name] = u.URL
	}
	time.Sleep(2100 * time.Millisecond)
	for name, u := range short {
		wantRefused(t, name+" expired token", u)
	}

	// Codecs are checked, never transcoded.
	_, err := c.GetLiveURL(ctx(t), sdk.LiveURLRequest{DeviceSn: cam.DeviceSn, URLType: sdk.URLTypeRTSP, VideoEncode: "1"})
	wantCode(t, "H265 asked of an H264 camera", err, "000003", "videoEncode")
	_, err = c.GetLiveURL(ctx(t), sdk.LiveURLRequest{DeviceSn: cam.DeviceSn, URLType: 9})
	wantCode(t, "bad urlType", err, "000003", "urlType")

	// Nobody watches → BYE after the idle timeout (2 s here), and the next request INVITEs again.
	eventually(t, 20*time.Second, "BYE after idle", func() bool { return dev.MediaStats().ByesReceived == 1 })
	wantVideo(t, "rtsp after idle BYE (same URL, restarted on demand)", urls["rtsp"], "h264", "-rtsp_transport", "tcp")
	if st := dev.MediaStats(); st.InvitesReceived != 2 {
		t.Fatalf("%d INVITEs after the restart, want 2", st.InvitesReceived)
	}

	// Another tenant cannot get the URL.
	other := s.client(s.addTenant())
	_, err = other.GetLiveURL(ctx(t), sdk.LiveURLRequest{DeviceSn: cam.DeviceSn, URLType: sdk.URLTypeRTSP})
	wantCode(t, "foreign tenant", err, "000005", "")
}

// An H.265 camera comes out as HEVC; TCP passive and TCP active ingest work; failures name
// their cause in resultMsg and in the metric.
func TestLiveCodecsTransportsAndDiagnosis(t *testing.T) {
	for _, transport := range []string{"tcp-passive", "tcp-active"} {
		t.Run(transport, func(t *testing.T) {
			s := startServer(t, engines(t)[0], append(liveFlags, "--media-transport", transport)...)
			k := s.addTenant()
			c := s.client(k)
			cam, _ := addCamera(t, s, k, c, func(cfg *refdevice.Config) { cfg.VideoCodec = "H265" })
			u, err := c.GetLiveURL(ctx(t), sdk.LiveURLRequest{DeviceSn: cam.DeviceSn, URLType: sdk.URLTypeRTSP, VideoEncode: "1"})
			if err != nil {
				t.Fatal(err)
			}
			wantVideo(t, "rtsp h265 over "+transport, u.URL, "hevc", "-rtsp_transport", "tcp")
		})
	}
	t.Run("nvr channel sub stream", func(t *testing.T) {
		s := startServer(t, engines(t)[0], liveFlags...)
		k := s.addTenant()
		c := s.client(k)
		nvr, err := c.AddDevice(ctx(t), sdk.AddDeviceRequest{Protocol: 1, DeviceType: 2, ChannelCount: 2})
		if err != nil {
			t.Fatal(err)
		}
		dev := startCamera(t, s, k, nvr, "tcp", nil)
		waitOnline(t, c, nvr.DeviceSn, 1)
		_, err = c.GetLiveURL(ctx(t), sdk.LiveURLRequest{DeviceSn: nvr.DeviceSn, URLType: sdk.URLTypeRTSP})
		wantCode(t, "an NVR without a channel", err, "000003", "channel")
		u, err := c.GetLiveURL(ctx(t), sdk.LiveURLRequest{DeviceSn: nvr.DeviceSn, ChannelID: intp(1), URLType: sdk.URLTypeHTTPFLV, StreamType: 1})
		if err != nil {
			t.Fatal(err)
		}
		wantVideo(t, "nvr channel 1 sub stream over http-flv", u.URL, "h264")
		streams := dev.Streams()
		if len(streams) != 1 || streams[0].ChannelID != nvr.ChannelList[1].ChannelSn {
			t.Fatalf("device streams: %+v", streams)
		}
	})
	t.Run("diagnosis", func(t *testing.T) {
		s := startServer(t, engines(t)[0], append(liveFlags, "--live-start-timeout", "3s")...)
		k := s.addTenant()
		c := s.client(k)
		silent, _ := addCamera(t, s, k, c, func(cfg *refdevice.Config) { cfg.NoMedia = true })
		rejecting, _ := addCamera(t, s, k, c, func(cfg *refdevice.Config) { cfg.RejectInvite = true })
		_, err := c.GetLiveURL(ctx(t), sdk.LiveURLRequest{DeviceSn: silent.DeviceSn, URLType: sdk.URLTypeRTSP})
		wantCode(t, "camera that sends nothing", err, "000009", "no_rtp")
		_, err = c.GetLiveURL(ctx(t), sdk.LiveURLRequest{DeviceSn: rejecting.DeviceSn, URLType: sdk.URLTypeRTSP})
		wantCode(t, "camera that rejects the INVITE", err, "000008", "invite_rejected")
		m := metrics(t, s)
		for _, want := range []string{`vionet_live_start_failures_total{cause="no_rtp"} 1`, `vionet_live_start_failures_total{cause="invite_rejected"} 1`} {
			if !strings.Contains(m, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
}

// 4.4.1.8 thumbnails and 4.4.1.12–14 snapshots: JPEGs of the right size behind signed URLs.
func TestThumbnailsAndSnapshots(t *testing.T) {
	s := startServer(t, engines(t)[0], liveFlags...)
	k := s.addTenant()
	c := s.client(k)
	cam, _ := addCamera(t, s, k, c, nil)
	cx := ctx(t)

	th, err := c.GetThumbnail(cx, sdk.ThumbnailRequest{DeviceSn: cam.DeviceSn, SizeWidth: "160"})
	if err != nil {
		t.Fatal(err)
	}
	wantJPEG(t, th.URL, 160, 120)
	if code := httpStatus(t, tamper(th.URL)); code != http.StatusUnauthorized {
		t.Fatalf("tampered thumbnail URL: %d", code)
	}
	cached, err := c.GetThumbnail(cx, sdk.ThumbnailRequest{DeviceSn: cam.DeviceSn, SizeWidth: "160", UseCache: intp(1)})
	if err != nil {
		t.Fatal(err)
	}
	if pathOf(cached.URL) != pathOf(th.URL) {
		t.Fatalf("useCache=1 made a new picture: %s vs %s", cached.URL, th.URL)
	}
	wantJPEG(t, cached.URL, 160, 120)
	_, err = c.GetThumbnail(cx, sdk.ThumbnailRequest{DeviceSn: cam.DeviceSn, SizeWidth: "99999"})
	wantCode(t, "huge width", err, "000003", "sizeWidth")

	var ids []string
	for range 3 {
		shot, err := c.TakeSnapshot(cx, sdk.SnapshotRequest{DeviceSn: cam.DeviceSn})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, shot.PictureID)
	}
	list, page, err := c.ListSnapshots(cx, sdk.SnapshotListRequest{DeviceSn: cam.DeviceSn, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 3 || len(list) != 2 || list[0].PictureID != ids[2] || list[0].SnapType != 1 || list[0].PictureSize < 1 {
		t.Fatalf("snapshot list: total %d, %+v", page.Total, list)
	}
	wantJPEG(t, list[0].PictureURL, 320, 240)
	if err := c.DeleteSnapshot(cx, sdk.SnapshotRequest{DeviceSn: cam.DeviceSn, PictureID: ids[2]}); err != nil {
		t.Fatal(err)
	}
	if code := httpStatus(t, list[0].PictureURL); code != http.StatusNotFound {
		t.Fatalf("deleted picture still served: %d", code)
	}
	err = c.DeleteSnapshot(cx, sdk.SnapshotRequest{DeviceSn: cam.DeviceSn, PictureID: ids[2]})
	wantCode(t, "delete twice", err, "000003", "pictureId")
	_, page, err = c.ListSnapshots(cx, sdk.SnapshotListRequest{DeviceSn: cam.DeviceSn, EndTime: time.Now().Add(-time.Hour).UnixMilli()})
	if err != nil || page.Total != 0 {
		t.Fatalf("list before the pictures: %d, %v", page.Total, err)
	}
	other := s.client(s.addTenant())
	_, _, err = other.ListSnapshots(cx, sdk.SnapshotListRequest{DeviceSn: cam.DeviceSn})
	wantCode(t, "foreign tenant", err, "000005", "")
}

func pathOf(u string) string { return strings.SplitN(u, "?", 2)[0] }

func httpStatus(t *testing.T, u string) int {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func wantJPEG(t *testing.T, u string, w, h int) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("GET %s: %d %s %q", u, resp.StatusCode, resp.Header.Get("Content-Type"), truncateBytes(b))
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("picture: %v", err)
	}
	if sz := img.Bounds().Size(); sz.X != w || sz.Y != h {
		t.Fatalf("picture is %dx%d, want %dx%d", sz.X, sz.Y, w, h)
	}
}

func truncateBytes(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return fmt.Sprintf("%s", b)
}

// metrics returns the server's /metrics text.
func metrics(t *testing.T, s *server) string {
	t.Helper()
	resp, err := http.Get(s.url() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
