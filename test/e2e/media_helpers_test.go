package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/southbound/gb28181/refdevice"
	"github.com/vionet/vionet/sdk"
)

// probed is what ffprobe reports of a stream's first video track.
type probed struct {
	Codec         string
	Width, Height int
}

// ffprobe reads url like a player would and returns its video stream (or ffprobe's error).
func ffprobe(url string, extra ...string) (probed, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	args := append([]string{"-v", "error", "-show_streams", "-of", "json"}, extra...)
	var stderr strings.Builder
	cmd := exec.CommandContext(ctx, "ffprobe", append(args, url)...)
	cmd.Stderr = &stderr // decoder warnings go there; the JSON comes on stdout alone
	out, err := cmd.Output()
	if err != nil {
		return probed{}, fmt.Errorf("ffprobe %s: %v: %s", url, err, strings.TrimSpace(stderr.String()))
	}
	var res struct {
		Streams []struct {
			CodecType string `json:"codec_type"`
			CodecName string `json:"codec_name"`
			Width     int    `json:"width"`
			Height    int    `json:"height"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return probed{}, fmt.Errorf("ffprobe output %q: %v", out, err)
	}
	for _, s := range res.Streams {
		if s.CodecType == "video" {
			return probed{s.CodecName, s.Width, s.Height}, nil
		}
	}
	return probed{}, fmt.Errorf("ffprobe %s: no video stream in %s", url, out)
}

// wantVideo probes url and checks codec and size.
func wantVideo(t *testing.T, what, url, codec string, extra ...string) {
	t.Helper()
	p, err := ffprobe(url, extra...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if p.Codec != codec || p.Width != 320 || p.Height != 240 {
		t.Fatalf("%s: got %s %dx%d, want %s 320x240", what, p.Codec, p.Width, p.Height, codec)
	}
}

// wantRefused checks that a player cannot read url.
func wantRefused(t *testing.T, what, url string, extra ...string) {
	t.Helper()
	if p, err := ffprobe(url, extra...); err == nil {
		t.Fatalf("%s: ffprobe read %s %dx%d, want refused", what, p.Codec, p.Width, p.Height)
	}
}

// tamper changes one character of the token a URL carries.
func tamper(u string) string {
	i := strings.Index(u, "token=")
	if i < 0 { // HLS: /hls/<token>/
		i = strings.Index(u, "/hls/") + len("/hls/")
	} else {
		i += len("token=")
	}
	c := byte('A')
	if u[i+3] == 'A' {
		c = 'B'
	}
	return u[:i+3] + string(c) + u[i+4:]
}

// freePorts returns n free TCP ports on loopback (closed again, so a small race remains).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var out []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return out
}

// startCamera runs a reference device with video, configured by mod.
func startCamera(t *testing.T, s *server, k tenantKeys, d *sdk.AddDeviceResponse, transport string, mod func(*refdevice.Config)) *refdevice.Device {
	t.Helper()
	pwd, err := sdk.DecryptSecret(k.PrivateKey, d.LoginPwd)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, ch := range d.ChannelList {
		codes = append(codes, ch.ChannelSn)
	}
	cfg := refdevice.Config{
		ServerID: d.SIPServerID, ServerDomain: d.SIPServerDomain, ServerAddr: s.sipAddr, Transport: transport,
		DeviceID: d.DeviceSn, Password: pwd, ChannelCodes: codes, Version: "2022",
		KeepaliveInterval: 500 * time.Millisecond, Manufacturer: "VIONET", Model: "REF-CAM", Firmware: "V1",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if mod != nil {
		mod(&cfg)
	}
	dev, err := refdevice.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); dev.StopSilently() })
	if err := dev.Start(ctx); err != nil {
		t.Fatalf("device %s did not register: %v", d.DeviceSn, err)
	}
	return dev
}

// addCamera adds an IPC through the API and starts its reference device.
func addCamera(t *testing.T, s *server, k tenantKeys, c *sdk.Client, mod func(*refdevice.Config)) (*sdk.AddDeviceResponse, *refdevice.Device) {
	t.Helper()
	d, err := c.AddDevice(ctx(t), sdk.AddDeviceRequest{Protocol: 1, DeviceType: 1})
	if err != nil {
		t.Fatal(err)
	}
	dev := startCamera(t, s, k, d, "udp", mod)
	waitOnline(t, c, d.DeviceSn, 1)
	return d, dev
}
