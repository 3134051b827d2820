package e2e

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/vionet/vionet/sdk"
)

const (
	s3Access = "vionet-e2e"
	s3Secret = "vionet-e2e-secret"
	s3Bucket = "vionet-e2e"
	s3Prefix = "node1"
)

// s3Server is a versitygw process serving a directory on a fixed loopback address, so it
// can be stopped and started again.
type s3Server struct {
	t    *testing.T
	bin  string
	addr string
	dir  string
	cmd  *exec.Cmd
	logs bytes.Buffer
}

// startS3 runs versitygw, or skips the test when it is not installed.
func startS3(t *testing.T) *s3Server {
	t.Helper()
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(gopath))) {
			if p := filepath.Join(dir, "bin", "versitygw"); fileExists(p) {
				bin = p
			}
		}
	}
	if bin == "" {
		t.Skip("versitygw not found on PATH or in $(go env GOPATH)/bin: " +
			"go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 (scripts/test.sh does)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &s3Server{t: t, bin: bin, addr: l.Addr().String(), dir: t.TempDir()}
	l.Close()
	s.start()
	t.Cleanup(s.stop)
	return s
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

func (s *s3Server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "--port", s.addr, "--access", s3Access, "--secret", s3Secret, "posix", s.dir)
	s.cmd.Stdout, s.cmd.Stderr = &s.logs, &s.logs
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	eventually(s.t, 20*time.Second, "versitygw listening", func() bool {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func (s *s3Server) stop() {
	if s.cmd != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// objects lists the bucket's object names under prefix.
func (s *s3Server) objects(prefix string) map[string]bool {
	s.t.Helper()
	c, err := minio.New(s.addr, &minio.Options{Creds: credentials.NewStaticV4(s3Access, s3Secret, "")})
	if err != nil {
		s.t.Fatal(err)
	}
	out := map[string]bool{}
	for o := range c.ListObjects(context.Background(), s3Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			s.t.Fatalf("list %s: %v", prefix, o.Err)
		}
		out[o.Key] = true
	}
	return out
}

// recordingObjects maps the start times (file names) of the recording objects to their keys.
func (s *s3Server) recordingObjects() map[string]string {
	out := map[string]string{}
	for k := range s.objects(s3Prefix + "/recordings/") {
		if strings.HasSuffix(k, ".mp4") {
			out[strings.TrimSuffix(filepath.Base(k), ".mp4")] = k
		}
	}
	return out
}

// With s3-endpoint set, recordings, downloads and pictures live in the bucket: a recorded
// camera's segments appear there and are listed, a thumbnail, a 4.4.1.8 picture, an MP4
// download and a clip are served from it, playback by time plays across segments, segments recorded
// while the server is down wait in the spool and are uploaded and indexed after a kill -9,
// and a graceful stop leaves the spool empty.
func TestS3Storage(t *testing.T) {
	s3 := startS3(t)
	s := startServer(t, engines(t)[0], append([]string{
		"--s3-endpoint", "http://" + s3.addr, "--s3-bucket", s3Bucket, "--s3-prefix", s3Prefix,
		"--s3-access-key", s3Access, "--s3-secret-key", s3Secret,
	}, recordFlags...)...)
	k := s.addTenant()
	c := s.client(k)
	cam, _ := addCamera(t, s, k, c, nil)
	openRecording(t, s, k, c, cam.DeviceSn, 3)

	var recs []sdk.Record
	eventually(t, 30*time.Second, "three recorded segments", func() bool {
		recs = cloudRecords(t, c, cam.DeviceSn, 1)
		return len(recs) >= 3
	})
	checkIndexMatchesBucket(t, s3, c, cam.DeviceSn, 0)
	prefix := s3Prefix + "/recordings/" + k.AppID + "/" + cam.DeviceSn + "/"
	for start, key := range s3.recordingObjects() {
		if !strings.HasPrefix(key, prefix) {
			t.Errorf("recording %s stored as %s, want it under %s", start, key, prefix)
		}
	}
	if n := countFiles(filepath.Join(s.dataDir, "files")); n != 0 {
		t.Errorf("%d files on local disk with S3 storage", n)
	}

	// The record's thumbnail and a 4.4.1.8 picture: made from the bucket's segments, stored
	// in the bucket and served from it.
	first, last := recs[0], recs[len(recs)-1]
	wantJPEG(t, first.URL, 320, 240)
	th, err := c.GetThumbnail(ctx(t), sdk.ThumbnailRequest{DeviceSn: cam.DeviceSn, Timestamp: recs[1].StartTime, SizeWidth: "160"})
	if err != nil {
		t.Fatalf("thumbnail from the recordings: %v", err)
	}
	wantJPEG(t, th.URL, 160, 120)
	if n := len(s3.objects(s3Prefix + "/thumbnails/")); n < 2 {
		t.Errorf("%d thumbnail objects in the bucket, want 2", n)
	}

	// MP4 download of one recording, exported into the bucket and served from it.
	dl, err := c.GetDownloadURL(ctx(t), sdk.DownloadRequest{DeviceSn: cam.DeviceSn, RecordID: first.RecordID})
	if err != nil {
		t.Fatal(err)
	}
	want := parseMs(t, first.EndTime).Sub(parseMs(t, first.StartTime)).Seconds()
	if got := duration(t, dl.URL); got < want-1 || got > want+1 {
		t.Fatalf("download lasts %.2f s, record %.2f s", got, want)
	}
	var mp4s int
	for key := range s3.objects(s3Prefix + "/") {
		if strings.HasSuffix(key, ".mp4") && !strings.HasPrefix(key, s3Prefix+"/recordings/") {
			mp4s++
		}
	}
	if mp4s != 1 {
		t.Errorf("%d download MP4s in the bucket, want 1", mp4s)
	}

	// Playback by time across the segments: read to the end, it lasts the range.
	from, to := parseMs(t, first.StartTime), parseMs(t, last.EndTime)
	u, err := c.GetPlaybackURL(ctx(t), sdk.PlaybackRequest{
		DeviceSn: cam.DeviceSn, Type: "1", BeginTime: from.Unix(), EndTime: to.Unix() + 1, StorageType: sdk.StorageCloud, Speed: "1",
	})
	if err != nil {
		t.Fatal(err)
	}
	wantVideo(t, "cloud playback from S3", u.URL, "h264", "-rtsp_transport", "tcp")
	u, err = c.GetPlaybackURL(ctx(t), sdk.PlaybackRequest{
		DeviceSn: cam.DeviceSn, Type: "1", BeginTime: from.Unix(), EndTime: to.Unix() + 1, StorageType: sdk.StorageCloud, Speed: "1",
	})
	if err != nil {
		t.Fatal(err)
	}
	played := filepath.Join(t.TempDir(), "played.mp4")
	rctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	out, err := exec.CommandContext(rctx, "ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", u.URL, "-c", "copy", "-an", played).CombinedOutput()
	cancel()
	if err != nil && !fileExists(played) {
		t.Fatalf("ffmpeg reading the playback: %v: %s", err, out)
	}
	// Playback starts on the keyframe at or before the second of BeginTime and ends at the
	// data's end (the last record's end): at least the listed range minus a second.
	got, want := duration(t, played), to.Sub(from).Seconds()
	if got < want-1.5 {
		t.Fatalf("playback of %.2f s of recordings lasted %.2f s", want, got)
	}
	t.Logf("playback of %.2f s of recordings from the bucket lasted %.2f s", want, got)

	// A clip across the segments: exported from the bucket's segments into it.
	clipFrom, clipTo := from.Add(time.Second), to.Add(-time.Second)
	wantCloudClip(t, c, cam.DeviceSn, clipFrom, clipTo)
	if n := len(s3.objects(s3Prefix + "/clips/" + k.AppID + "/")); n != 2 {
		t.Errorf("%d clip objects in the bucket, want 2 (MP4 and thumbnail)", n)
	}

	// The server goes away while recording: segments wait in the spool. vionet is killed,
	// the server comes back, and the restart uploads and indexes what the spool holds.
	s3.stop()
	outage := time.Now()
	time.Sleep(5 * time.Second)
	s.kill9()
	spooled := countFiles(filepath.Join(s.dataDir, "s3", "spool"))
	if spooled == 0 {
		t.Fatal("nothing in the spool after recording without the S3 server")
	}
	s3.start()
	s.start()
	c = s.client(k)
	waitOnline(t, c, cam.DeviceSn, 1)
	eventually(t, 20*time.Second, "segments of the outage indexed", func() bool {
		for _, r := range cloudRecords(t, c, cam.DeviceSn, 1) {
			if st := parseMs(t, r.StartTime); st.After(outage) && st.Before(outage.Add(4*time.Second)) {
				return true
			}
		}
		return false
	})
	checkIndexMatchesBucket(t, s3, c, cam.DeviceSn, spooled)

	// A graceful stop uploads the last segments: nothing is left in the spool.
	s.stop()
	var left []string
	_ = filepath.WalkDir(filepath.Join(s.dataDir, "s3", "spool"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) > 0 {
		t.Errorf("spool not empty after a graceful stop: %v", left)
	}
}

// checkIndexMatchesBucket compares the listed recordings with the segment objects.
func checkIndexMatchesBucket(t *testing.T, s3 *s3Server, c *sdk.Client, sn string, spooled int) {
	t.Helper()
	objs := s3.recordingObjects()
	listed := cloudRecords(t, c, sn, 1)
	for _, r := range listed {
		if objs[r.StartTime] == "" {
			t.Errorf("recording %s (%s) has no object", r.RecordID, r.StartTime)
		}
		delete(objs, r.StartTime)
	}
	for start := range objs {
		if time.Since(parseMs(t, start)) > 5*time.Second { // the current segment may just have been uploaded
			t.Errorf("object %s.mp4 is not indexed", start)
		}
	}
	t.Logf("%d recordings listed, all in the bucket (%d files were in the spool)", len(listed), spooled)
}

// countFiles counts the regular files under dir.
func countFiles(dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// s3-endpoint without keys is refused at start.
func TestS3SettingsRefused(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, vionetBin, "serve", "--data-dir", t.TempDir(), "--s3-endpoint", "127.0.0.1:1").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "s3-endpoint needs s3-bucket, s3-access-key and s3-secret-key") {
		t.Fatalf("serve with s3-endpoint and no keys: %v: %s", err, out)
	}
}
