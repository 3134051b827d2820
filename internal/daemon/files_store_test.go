package daemon

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/files"
	"github.com/vionet/vionet/internal/media/recorder"
)

// testS3 runs versitygw on loopback (skipping the test when it is not installed) and
// returns a localizer over a bucket of it, and a function stopping the server.
func testS3(t *testing.T, cacheMax int64) (*localizer, func()) {
	t.Helper()
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		for _, dir := range filepath.SplitList(strings.TrimSpace(string(gopath))) {
			if p := filepath.Join(dir, "bin", "versitygw"); fileIsThere(p) {
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
	addr := l.Addr().String()
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--port", addr, "--access", "k", "--secret", "secret-key", "posix", t.TempDir())
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }) }
	t.Cleanup(stop)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen: %s", logs.String())
		}
	}
	dir := t.TempDir()
	s, err := files.NewS3(context.Background(), files.S3Options{Endpoint: addr, Bucket: "test", AccessKey: "k", SecretKey: "secret-key", CacheDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	loc := &localizer{
		store: s, s3: s, spool: filepath.Join(dir, "spool"), tmp: filepath.Join(dir, "tmp"),
		cache: newSegmentCache(s, filepath.Join(dir, "cache"), cacheMax), log: slog.New(slog.DiscardHandler),
	}
	return loc, stop
}

func fileIsThere(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// The cache keeps what is pinned, evicts the least recently used of the rest beyond its
// size, fetches a key once for concurrent users and reports missing objects.
func TestSegmentCache(t *testing.T) {
	l, _ := testS3(t, 2500)
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		if err := l.s3.Put(ctx, "recordings/x/"+k+".mp4", bytes.Repeat([]byte(k), 1000)); err != nil {
			t.Fatal(err)
		}
	}
	c := l.cache
	pa, relA, err := c.acquire(ctx, "recordings/x/a.mp4")
	if err != nil {
		t.Fatal(err)
	}
	pb, relB, err := c.acquire(ctx, "recordings/x/b.mp4")
	if err != nil {
		t.Fatal(err)
	}
	pc, relC, err := c.acquire(ctx, "recordings/x/c.mp4")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{pa, pb, pc} {
		if !fileIsThere(p) {
			t.Fatalf("%s evicted while pinned", p)
		}
	}
	if b, _ := os.ReadFile(pb); !bytes.Equal(b, bytes.Repeat([]byte("b"), 1000)) {
		t.Fatal("cached file differs from the object")
	}
	relB()
	relB() // a second release is harmless
	if fileIsThere(pb) {
		t.Fatal("unpinned b kept with the cache over its size")
	}
	relA()
	relC()
	if !fileIsThere(pa) || !fileIsThere(pc) {
		t.Fatal("a and c evicted with the cache within its size")
	}
	// b again: a, used before c, makes room.
	if _, relB, err = c.acquire(ctx, "recordings/x/b.mp4"); err != nil {
		t.Fatal(err)
	}
	relB()
	if fileIsThere(pa) || !fileIsThere(pc) || !fileIsThere(pb) {
		t.Fatalf("after b again: a there %v (want false), b %v, c %v", fileIsThere(pa), fileIsThere(pb), fileIsThere(pc))
	}
	if c.size != 2000 {
		t.Fatalf("cache size %d, want 2000", c.size)
	}

	// Concurrent users of one key share one file.
	var wg sync.WaitGroup
	paths := make([]string, 8)
	for i := range paths {
		wg.Go(func() {
			p, rel, err := c.acquire(ctx, "recordings/x/a.mp4")
			if err != nil {
				t.Error(err)
				return
			}
			defer rel()
			if b, err := os.ReadFile(p); err != nil || len(b) != 1000 {
				t.Errorf("read %s: %d bytes, %v", p, len(b), err)
			}
			paths[i] = p
		})
	}
	wg.Wait()
	for _, p := range paths {
		if p != paths[0] {
			t.Fatalf("one key, several files: %v", paths)
		}
	}

	if _, _, err := c.acquire(ctx, "recordings/x/missing.mp4"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing object: %v", err)
	}
	if _, _, err := c.acquire(ctx, "../x"); !errors.Is(err, files.ErrBadKey) {
		t.Fatalf("bad key: %v", err)
	}
	c.mu.Lock()
	n := len(c.entries)
	c.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d cache entries, want 2 (a and b)", n)
	}
}

// A closed segment is reported once its object is in the bucket, then leaves the spool.
func TestUploader(t *testing.T) {
	l, _ := testS3(t, 1<<20)
	dir, err := l.dir("recordings/app/sn/cam")
	if err != nil {
		t.Fatal(err)
	}
	seg := writeSpooled(t, dir, "1700000000000.mp4")
	reported := make(chan bool, 1)
	u := l.uploader("recordings/app/sn/cam", func(s recorder.Segment) {
		reported <- l.s3.Exists(context.Background(), "recordings/app/sn/cam/1700000000000.mp4") && fileIsThere(s.Path)
	})
	u.closed(seg)
	select {
	case inBucket := <-reported:
		if !inBucket {
			t.Fatal("reported before the upload, or after the spool file went")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("segment not reported")
	}
	u.stop()
	if fileIsThere(seg.Path) {
		t.Fatal("uploaded segment still in the spool")
	}
	if _, err := l.dir("../x"); !errors.Is(err, files.ErrBadKey) {
		t.Fatalf("bad prefix: %v", err)
	}
}

// With the server gone, closing a run gives up after uploadDrain: nothing is reported and
// the segment waits in the spool.
func TestUploaderServerDown(t *testing.T) {
	l, stopS3 := testS3(t, 1<<20)
	defer func(d time.Duration) { uploadDrain = d }(uploadDrain)
	uploadDrain = time.Second
	dir, err := l.dir("recordings/app/sn/cam")
	if err != nil {
		t.Fatal(err)
	}
	stopS3()
	seg := writeSpooled(t, dir, "1700000000000.mp4")
	u := l.uploader("recordings/app/sn/cam", func(recorder.Segment) { t.Error("reported without the server") })
	u.closed(seg)
	start := time.Now()
	u.stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("stop took %v with uploadDrain 1s", d)
	}
	if !fileIsThere(seg.Path) {
		t.Fatal("segment lost from the spool")
	}
}

func writeSpooled(t *testing.T, dir, name string) recorder.Segment {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("not really an mp4"), 0o644); err != nil {
		t.Fatal(err)
	}
	return recorder.Segment{Path: p, Start: time.UnixMilli(1700000000000), End: time.UnixMilli(1700000002000), Size: 17}
}
