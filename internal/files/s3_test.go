package files

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

const (
	testAccess = "vionet-test"
	testSecret = "vionet-test-secret"
)

// versitygwBin finds the versitygw binary (PATH, then $(go env GOPATH)/bin) or skips.
func versitygwBin(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		gopath = strings.TrimSpace(string(out))
	}
	for _, dir := range filepath.SplitList(gopath) {
		if p := filepath.Join(dir, "bin", "versitygw"); fileExists(p) {
			return p
		}
	}
	t.Skip("versitygw not found on PATH or in $(go env GOPATH)/bin: " +
		"go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 (scripts/test.sh does)")
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// startVersitygw runs an S3 server on loopback over a temporary directory and returns its
// endpoint (host:port); it is stopped when the test ends.
func startVersitygw(t *testing.T) string {
	t.Helper()
	bin := versitygwBin(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "--port", addr, "--access", testAccess, "--secret", testSecret, "posix", t.TempDir())
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s: %s", addr, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestS3(t *testing.T) {
	endpoint := startVersitygw(t)
	ctx := context.Background()
	s, err := NewS3(ctx, S3Options{
		Endpoint: "http://" + endpoint, Bucket: "vionet-test", AccessKey: testAccess, SecretKey: testSecret,
		Prefix: "/site1/", CacheDir: filepath.Join(t.TempDir(), "cache"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(s.CacheDir()); err != nil || !st.IsDir() {
		t.Fatalf("cache dir %q not made: %v", s.CacheDir(), err)
	}
	// A second store on the same bucket: it exists now, and is simply used.
	if _, err := NewS3(ctx, S3Options{Endpoint: endpoint, Bucket: "vionet-test", AccessKey: testAccess, SecretKey: testSecret}); err != nil {
		t.Fatalf("existing bucket: %v", err)
	}

	const key = "pictures/app/x.jpg"
	data := []byte("0123456789abcdefghij")
	if s.Exists(ctx, key) {
		t.Fatal("Exists before Put")
	}
	if err := s.Put(ctx, key, data); err != nil {
		t.Fatal(err)
	}
	if !s.Exists(ctx, key) {
		t.Fatal("Exists after Put is false")
	}

	// The object is under the prefix.
	raw, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(testAccess, testSecret, "")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.StatObject(ctx, "vionet-test", "site1/"+key, minio.StatObjectOptions{}); err != nil {
		t.Fatalf("object site1/%s: %v", key, err)
	}

	f, mod, err := s.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(mod) > time.Minute || time.Until(mod) > time.Minute {
		t.Errorf("modTime %v", mod)
	}
	b, err := io.ReadAll(f)
	if err != nil || !bytes.Equal(b, data) {
		t.Fatalf("read %q, %v", b, err)
	}
	// Seeks: from the start, the current position and the end.
	for _, c := range []struct {
		off    int64
		whence int
		pos    int64
		want   string
	}{{5, io.SeekStart, 5, "56789"}, {-3, io.SeekEnd, 17, "hij"}, {-10, io.SeekCurrent, 10, "abcde"}} {
		pos, err := f.Seek(c.off, c.whence)
		if err != nil || pos != c.pos {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d", c.off, c.whence, pos, err, c.pos)
		}
		got := make([]byte, len(c.want))
		if _, err := io.ReadFull(f, got); err != nil || string(got) != c.want {
			t.Fatalf("after Seek(%d, %d) read %q, %v; want %q", c.off, c.whence, got, err, c.want)
		}
	}
	if ra, ok := f.(io.ReaderAt); ok {
		got := make([]byte, 4)
		if _, err := ra.ReadAt(got, 12); err != nil || string(got) != "cdef" {
			t.Fatalf("ReadAt: %q %v", got, err)
		}
	}
	f.Close()

	// Range requests through http.ServeContent, as the media listener serves files.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, mod, err := s.Open(r.Context(), key)
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		defer f.Close()
		http.ServeContent(w, r, "x.jpg", mod, f)
	}))
	defer srv.Close()
	for _, c := range []struct{ rng, want string }{{"bytes=2-5", "2345"}, {"bytes=-4", "ghij"}, {"bytes=18-", "ij"}} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		req.Header.Set("Range", c.rng)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || string(body) != c.want {
			t.Fatalf("range %s: %d %q, want 206 %q", c.rng, resp.StatusCode, body, c.want)
		}
	}

	// Files: upload from disk, fetch to disk.
	src := filepath.Join(t.TempDir(), "seg.mp4")
	big := bytes.Repeat([]byte("vionet"), 200_000)
	if err := os.WriteFile(src, big, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.PutFile(ctx, "recordings/a/b/c/1.mp4", src); err != nil {
		t.Fatal(err)
	}
	info, err := raw.StatObject(ctx, "vionet-test", "site1/recordings/a/b/c/1.mp4", minio.StatObjectOptions{})
	if err != nil || info.Size != int64(len(big)) || info.ContentType != "video/mp4" {
		t.Fatalf("uploaded file: %+v %v", info, err)
	}
	dst := filepath.Join(t.TempDir(), "sub", "1.mp4")
	n, err := s.Fetch(ctx, "recordings/a/b/c/1.mp4", dst)
	if err != nil || n != int64(len(big)) {
		t.Fatalf("Fetch: %d %v", n, err)
	}
	if got, _ := os.ReadFile(dst); !bytes.Equal(got, big) {
		t.Fatal("fetched file differs")
	}
	if _, err := s.Fetch(ctx, "recordings/a/b/c/missing.mp4", dst+".2"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Fetch of a missing key: %v", err)
	}
	if fileExists(dst + ".2") {
		t.Fatal("Fetch of a missing key left a file")
	}

	// Delete, twice; then the key is missing everywhere.
	for range 2 {
		if err := s.Delete(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	if s.Exists(ctx, key) {
		t.Fatal("Exists after Delete")
	}
	if _, _, err := s.Open(ctx, key); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open after Delete: %v", err)
	}
	if _, _, err := s.Open(ctx, "never/there.jpg"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open of a missing key: %v", err)
	}

	// Bad keys are refused before any request.
	for _, k := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "a\\b", "a/\x00", "a/"} {
		if err := s.Put(ctx, k, data); !errors.Is(err, ErrBadKey) {
			t.Errorf("Put(%q) = %v", k, err)
		}
		if _, _, err := s.Open(ctx, k); !errors.Is(err, ErrBadKey) {
			t.Errorf("Open(%q) = %v", k, err)
		}
		if err := s.Delete(ctx, k); !errors.Is(err, ErrBadKey) {
			t.Errorf("Delete(%q) = %v", k, err)
		}
		if err := s.PutFile(ctx, k, src); !errors.Is(err, ErrBadKey) {
			t.Errorf("PutFile(%q) = %v", k, err)
		}
		if s.Exists(ctx, k) {
			t.Errorf("Exists(%q)", k)
		}
	}
}

func TestS3Refused(t *testing.T) {
	endpoint := startVersitygw(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, o := range []S3Options{
		{Endpoint: endpoint, Bucket: "b", AccessKey: testAccess},                                                    // no secret
		{Endpoint: "", Bucket: "b", AccessKey: testAccess, SecretKey: testSecret},                                   // no endpoint
		{Endpoint: endpoint, Bucket: "b", AccessKey: testAccess, SecretKey: "wrong-secret"},                         // bad credentials
		{Endpoint: endpoint, Bucket: "b", AccessKey: testAccess, SecretKey: testSecret, Prefix: "a/../b"},           // bad prefix
		{Endpoint: endpoint, Bucket: "Not_A_Bucket", AccessKey: testAccess, SecretKey: testSecret},                  // bad bucket name
		{Endpoint: "https://" + endpoint, Bucket: "b", AccessKey: testAccess, SecretKey: testSecret, UseSSL: false}, // TLS to a plain server
	} {
		if _, err := NewS3(ctx, o); err == nil {
			t.Errorf("NewS3(%s %s prefix %q) succeeded", o.Endpoint, o.Bucket, o.Prefix)
		}
	}
}
