package e2e

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/vionet/vionet/sdk"
)

// recordFlags cut 2 s segments so a test sees several quickly.
var recordFlags = append([]string{"--record-segment", "2s"}, liveFlags...)

// openRecording grants an order and opens a full-day recording plan of days on the camera.
func openRecording(t *testing.T, s *server, k tenantKeys, c *sdk.Client, sn string, days int) {
	t.Helper()
	if _, err := s.cli("order", "grant", "--appid", k.AppID, "--type", "1", "--count", "5"); err != nil {
		t.Fatal(err)
	}
	err := c.SetDeviceService(ctx(t), sdk.ServiceRequest{DeviceSn: sn, OprType: sdk.OprOpen, ServiceInfos: sdk.ServiceInfoList{
		{ServCode: sdk.ServCodeType, ServValue: sdk.ServiceFullDayRecording},
		{ServCode: sdk.ServCodeCloudDays, ServValue: strconv.Itoa(days)},
		{ServCode: sdk.ServCodeBitrate, ServValue: "4"},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

// cloudRecords lists a camera's cloud recordings of the last hour, oldest first.
func cloudRecords(t *testing.T, c *sdk.Client, sn string, recordType int) []sdk.Record {
	t.Helper()
	now := time.Now()
	l, err := c.ListRecords(ctx(t), sdk.RecordListRequest{
		DeviceSn: sn, StorageType: sdk.StorageCloud, StreamType: 1, RecordType: recordType,
		StartTime: ms(now.Add(-time.Hour)), EndTime: ms(now.Add(time.Minute)), Sort: "2",
	})
	if err != nil {
		t.Fatal(err)
	}
	return l.RecordList
}

func parseMs(t *testing.T, s string) time.Time {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("timestamp %q: %v", s, err)
	}
	return time.UnixMilli(n)
}

// duration asks ffprobe for a file's (or URL's) duration.
func duration(t *testing.T, u string) float64 {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", u).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe duration %s: %v: %s", u, err, out)
	}
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		t.Fatalf("duration %q: %v", out, err)
	}
	return d
}

// A full-day plan records the camera into segments; the list, the calendar, playback at 1×
// and 8× on two URL forms, the MP4 download, a clip, an alarm recording, deletion, kill -9
// during recording and retention all work on the real binary.
func TestCloudRecording(t *testing.T) {
	s := startServer(t, engines(t)[0], recordFlags...)
	k := s.addTenant()
	c := s.client(k)
	cam, dev := addCamera(t, s, k, c, nil)
	openRecording(t, s, k, c, cam.DeviceSn, 3)

	var recs []sdk.Record
	eventually(t, 30*time.Second, "three recorded segments", func() bool {
		recs = cloudRecords(t, c, cam.DeviceSn, 1)
		return len(recs) >= 3
	})
	first, last := recs[0], recs[len(recs)-1]
	if first.StorageType != sdk.StorageCloud || !strings.HasPrefix(first.RecordID, "c") || first.URL == "" {
		t.Fatalf("record %+v", first)
	}
	wantJPEG(t, first.URL, 320, 240)
	th, err := c.GetThumbnail(ctx(t), sdk.ThumbnailRequest{DeviceSn: cam.DeviceSn, Timestamp: recs[1].StartTime, SizeWidth: "160"})
	if err != nil {
		t.Fatalf("thumbnail from the recordings: %v", err)
	}
	wantJPEG(t, th.URL, 160, 120)
	days, err := c.RecordExist(ctx(t), sdk.RecordExistRequest{DeviceSn: cam.DeviceSn, RecordType: 1, StorageType: sdk.StorageCloud})
	if err != nil || len(days) != 1 || days[0].HasRecord != "1" {
		t.Fatalf("calendar: %+v %v", days, err)
	}

	// Playback by time at 1× and 8× (RTSP), and by recordId over HLS.
	from, to := parseMs(t, first.StartTime), parseMs(t, last.EndTime)
	for _, speed := range []string{"1", "8"} {
		u, err := c.GetPlaybackURL(ctx(t), sdk.PlaybackRequest{
			DeviceSn: cam.DeviceSn, Type: "1", BeginTime: from.Unix(), EndTime: to.Unix() + 1, StorageType: sdk.StorageCloud, Speed: speed,
		})
		if err != nil {
			t.Fatalf("playback %s×: %v", speed, err)
		}
		wantVideo(t, "cloud playback "+speed+"×", u.URL, "h264", "-rtsp_transport", "tcp")
	}
	u, err := c.GetPlaybackURLByID(ctx(t), sdk.PlaybackByIDRequest{DeviceSn: cam.DeviceSn, RecordID: first.RecordID, Type: "HLS"})
	if err != nil {
		t.Fatal(err)
	}
	wantVideo(t, "playback by recordId over HLS", u.URL, "h264")
	_, err = c.GetPlaybackURL(ctx(t), sdk.PlaybackRequest{DeviceSn: cam.DeviceSn, Type: "1", BeginTime: from.Unix(), EndTime: to.Unix(), StorageType: "0", Speed: "3"})
	wantCode(t, "speed 3", err, "000003", "speed")

	// MP4 download of one recording: ffprobe's duration matches the record's range.
	dl, err := c.GetDownloadURL(ctx(t), sdk.DownloadRequest{DeviceSn: cam.DeviceSn, RecordID: first.RecordID})
	if err != nil {
		t.Fatal(err)
	}
	want := parseMs(t, first.EndTime).Sub(parseMs(t, first.StartTime)).Seconds()
	if got := duration(t, dl.URL); got < want-1 || got > want+1 {
		t.Fatalf("download lasts %.2f s, record %.2f s", got, want)
	}

	// A clip across segments: status 2 → 1, an MP4 that plays and a thumbnail.
	clipFrom, clipTo := from.Add(time.Second), to.Add(-time.Second)
	task, st := wantCloudClip(t, c, cam.DeviceSn, clipFrom, clipTo)
	if !strings.HasSuffix(task, "@1") {
		t.Fatalf("taskId %q is not id@platformId", task)
	}
	if err := c.DeleteClips(ctx(t), cam.DeviceSn, nil, []string{st.FileList[0].FileID}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetClip(ctx(t), cam.DeviceSn, task, 0)
	wantCode(t, "deleted clip", err, "000003", "taskId")

	// An alarm marks the recordings around it.
	if err := dev.RaiseAlarm(1, 5, 2, "移动侦测", ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "an alarm recording", func() bool {
		al := cloudRecords(t, c, cam.DeviceSn, 2)
		return len(al) > 0 && al[0].AlarmType != nil
	})

	// Delete one recording by recordId.
	if err := c.DeleteRecords(ctx(t), sdk.DeleteRecordsRequest{DeviceSn: cam.DeviceSn, RecordID: first.RecordID}); err != nil {
		t.Fatal(err)
	}
	for _, r := range cloudRecords(t, c, cam.DeviceSn, 1) {
		if r.RecordID == first.RecordID {
			t.Fatal("deleted recording still listed")
		}
	}

	// A clip task is durable: one left running by a crash is finished by the next start.
	task2 := createClip(t, c, cam.DeviceSn, clipFrom, clipTo, sdk.StorageCloud)
	finishedClip(t, c, cam.DeviceSn, task2, 30*time.Second)

	// kill -9 while recording: after the restart every closed segment is listed and every
	// listed one has its file.
	s.kill9()
	markClipRunning(t, s, task2)
	s.start()
	c = s.client(k) // the API has a new port
	waitOnline(t, c, cam.DeviceSn, 1)
	checkIndexMatchesFiles(t, s, c, cam.DeviceSn)
	st = finishedClip(t, c, cam.DeviceSn, task2, 30*time.Second) // the interrupted clip finished after the restart
	wantJPEG(t, st.FileList[0].FileThumbnail, 320, 240)

	// Retention: with a 2 s "day", a 3-day plan keeps 6 s.
	s.stop()
	s.args = append(s.args, "--retention-day", "2s")
	s.start()
	c = s.client(k)
	eventually(t, 30*time.Second, "retention", func() bool {
		rs := cloudRecords(t, c, cam.DeviceSn, 1)
		return len(rs) > 0 && time.Since(parseMs(t, rs[0].StartTime)) < 10*time.Second
	})
	checkIndexMatchesFiles(t, s, c, cam.DeviceSn) // expired files are gone too
}

// checkIndexMatchesFiles compares the listed recordings with the segment files on disk.
func checkIndexMatchesFiles(t *testing.T, s *server, c *sdk.Client, sn string) {
	t.Helper()
	files := map[string]bool{}
	_ = filepath.WalkDir(filepath.Join(s.dataDir, "files", "recordings"), func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".mp4") {
			files[strings.TrimSuffix(filepath.Base(p), ".mp4")] = true
		}
		return nil
	})
	listed := cloudRecords(t, c, sn, 1)
	if len(listed) == 0 {
		t.Fatal("no recordings listed after the restart")
	}
	for _, r := range listed {
		if !files[r.StartTime] {
			t.Errorf("recording %s (%s) has no file", r.RecordID, r.StartTime)
		}
		delete(files, r.StartTime)
	}
	for f := range files {
		if time.Since(parseMs(t, f)) > 5*time.Second { // the recorder's current segment may just have closed
			t.Errorf("file %s.mp4 is not indexed", f)
		}
	}
}

// Device storage (storageType 1): a GB/T 28181 Playback INVITE for the range, read by
// ffprobe; a speed other than 1 reaches the device as MANSRTSP Scale.
func TestDevicePlayback(t *testing.T) {
	s := startServer(t, engines(t)[0], liveFlags...)
	k := s.addTenant()
	c := s.client(k)
	cam, dev := addCamera(t, s, k, c, nil)
	from := time.Now().Add(-time.Hour)
	u, err := c.GetPlaybackURL(ctx(t), sdk.PlaybackRequest{
		DeviceSn: cam.DeviceSn, Type: "2", BeginTime: from.Unix(), EndTime: from.Add(10 * time.Minute).Unix(), StorageType: sdk.StorageDevice, Speed: "2",
	})
	if err != nil {
		t.Fatal(err)
	}
	wantVideo(t, "device playback over rtmp", u.URL, "h264")
	var found bool
	for _, st := range dev.Streams() {
		if st.Name == "Playback" && len(st.Controls) > 0 && strings.Contains(st.Controls[0], "Scale: 2") {
			found = true
		}
	}
	if !found {
		t.Fatalf("no Playback session with Scale 2 on the device: %+v", dev.Streams())
	}
}

// Archived recordings (--archive-after) need 4.5.1.7 before playback; unfreezing pushes
// msgType 6 and then they play.
func TestArchiveAndUnfreeze(t *testing.T) {
	s := startServer(t, engines(t)[0], append(recordFlags, "--archive-after", "3s", "--thaw-delay", "500ms")...)
	k := s.addTenant()
	c := s.client(k)
	rcv := newReceiver(t, k, "")
	if err := c.Subscribe(ctx(t), "http://"+rcv.addr+"/push", sdk.MsgThaw); err != nil {
		t.Fatal(err)
	}
	cam, _ := addCamera(t, s, k, c, nil)
	openRecording(t, s, k, c, cam.DeviceSn, 1)
	var old sdk.Record
	eventually(t, 30*time.Second, "an archived recording", func() bool {
		recs := cloudRecords(t, c, cam.DeviceSn, 1)
		if len(recs) > 0 && recs[0].StoragePolicy == 2 {
			old = recs[0]
			return true
		}
		return false
	})
	play := func() error {
		_, err := c.GetPlaybackURLByID(ctx(t), sdk.PlaybackByIDRequest{DeviceSn: cam.DeviceSn, RecordID: old.RecordID})
		return err
	}
	wantCode(t, "archived playback", play(), "000008", "unfreeze")
	if err := c.Unfreeze(ctx(t), sdk.UnfreezeRequest{DeviceSn: cam.DeviceSn, StartTime: old.StartTime, EndTime: old.EndTime, NextFreezeHour: 24}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "msgType 6", func() bool {
		msgs := pushData[sdk.ThawMsg](t, rcv, sdk.MsgThaw)
		return len(msgs) == 1 && msgs[0].FileCount >= 1 && msgs[0].Status == 1
	})
	if err := play(); err != nil {
		t.Fatalf("playback after unfreeze: %v", err)
	}
	err := c.Unfreeze(ctx(t), sdk.UnfreezeRequest{DeviceSn: cam.DeviceSn, StartTime: old.StartTime, EndTime: old.EndTime, NextFreezeHour: 25})
	wantCode(t, "nextFreezeHour 25", err, "000003", "nextFreezeHour")
}

// markClipRunning puts a finished clip task back to "running" with no file, as a crash in
// the middle of its work would leave it (the server is stopped).
func markClipRunning(t *testing.T, s *server, taskID string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.dataDir, "vionet.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id, _, _ := strings.Cut(taskID, "@")
	res, err := db.Exec(`UPDATE clip_tasks SET status = 2, file_key = '', thumb_key = '' WHERE id = ?`, id)
	if n, _ := res.RowsAffected(); err != nil || n != 1 {
		t.Fatalf("marking clip %s running: %v (%d rows)", taskID, err, n)
	}
}

// A clip of the device's own storage (storageType 1): a GB/T 28181 Download into
// temporary segments, exported as one MP4 with its thumbnail.
func TestDeviceStorageClip(t *testing.T) {
	s := startServer(t, engines(t)[0], liveFlags...)
	k := s.addTenant()
	c := s.client(k)
	cam, dev := addCamera(t, s, k, c, nil)
	from := time.Now().Add(-time.Hour)
	task := createClip(t, c, cam.DeviceSn, from, from.Add(4*time.Second), sdk.StorageDevice)
	st := finishedClip(t, c, cam.DeviceSn, task, 40*time.Second)
	if got := duration(t, st.FileList[0].FileAddr); got < 3 || got > 7 {
		t.Fatalf("device clip lasts %.2f s for a 4 s range", got)
	}
	if st.FileList[0].StartTime != ms(from) {
		t.Fatalf("clip starts %s, want the device's %s", st.FileList[0].StartTime, ms(from))
	}
	wantJPEG(t, st.FileList[0].FileThumbnail, 320, 240)
	if counts := dev.MediaStats(); counts.InvitesReceived != 1 || counts.ByesReceived != 1 {
		t.Fatalf("device saw %d INVITEs and %d BYEs, want one download, hung up", counts.InvitesReceived, counts.ByesReceived)
	}
	leftovers, _ := filepath.Glob(filepath.Join(s.dataDir, "files", "clips", k.AppID, "*-src", "*"))
	if len(leftovers) > 0 {
		t.Fatalf("downloaded segments left behind: %v", leftovers)
	}
}

// createClip starts a clip task (4.8.1) and returns its taskId.
func createClip(t *testing.T, c *sdk.Client, sn string, from, to time.Time, storage string) string {
	t.Helper()
	task, err := c.CreateClip(ctx(t), sdk.ClipRequest{DeviceSn: sn, StartTime: ms(from), EndTime: ms(to), StorageType: storage})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// finishedClip waits until a clip task leaves status 2 and checks it made its one file.
func finishedClip(t *testing.T, c *sdk.Client, sn, task string, timeout time.Duration) *sdk.ClipStatus {
	t.Helper()
	var st *sdk.ClipStatus
	eventually(t, timeout, "clip "+task+" done", func() bool {
		var err error
		st, err = c.GetClip(ctx(t), sn, task, 0)
		return err == nil && st.Status != "2"
	})
	if st.Status != "1" || len(st.FileList) != 1 {
		t.Fatalf("clip: %+v", st)
	}
	return st
}

// wantCloudClip clips [from, to] of the cloud recordings and checks the MP4's duration and
// the thumbnail.
func wantCloudClip(t *testing.T, c *sdk.Client, sn string, from, to time.Time) (string, *sdk.ClipStatus) {
	t.Helper()
	task := createClip(t, c, sn, from, to, sdk.StorageCloud)
	st := finishedClip(t, c, sn, task, 30*time.Second)
	if got, want := duration(t, st.FileList[0].FileAddr), to.Sub(from).Seconds(); got < want-1 || got > want+2.5 {
		t.Fatalf("clip lasts %.2f s for a %.2f s range", got, want)
	}
	wantJPEG(t, st.FileList[0].FileThumbnail, 320, 240)
	return task, st
}
