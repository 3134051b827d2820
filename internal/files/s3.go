package files

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Store is what the daemon asks of a file store: Local (the default) and S3 both implement
// it. Keys are clean relative slash paths ("pictures/<appid>/<id>.jpg"); others are refused
// with ErrBadKey.
type Store interface {
	// Put stores data under key; readers see the old file or the whole new one.
	Put(ctx context.Context, key string, data []byte) error
	// Delete removes key; a missing file is not an error.
	Delete(ctx context.Context, key string) error
	// Exists reports whether key holds a file.
	Exists(ctx context.Context, key string) bool
	// Open opens key for reading (with seeks, for range requests) and returns its
	// modification time; errors wrap os.ErrNotExist for missing files.
	Open(ctx context.Context, key string) (File, time.Time, error)
}

var (
	_ Store = (*Local)(nil)
	_ Store = (*S3)(nil)
)

// S3Options configure an S3-compatible store (AWS S3, MinIO, versitygw, Ceph RGW, ...).
type S3Options struct {
	// Endpoint is host[:port]; an http:// or https:// prefix overrides UseSSL.
	Endpoint  string
	Bucket    string // created if missing
	AccessKey string
	SecretKey string
	Region    string // empty: us-east-1 (or what the server says)
	UseSSL    bool
	// Prefix is put before every key ("vionet" stores key k as "vionet/k"), so several
	// installations can share a bucket.
	Prefix string
	// CacheDir is a local directory for what must stay on disk with an S3 store: the
	// recorder's spool and the segment cache of playback. NewS3 creates it.
	CacheDir string
}

// S3 keeps files as objects of one bucket.
type S3 struct {
	c        *minio.Client
	bucket   string
	prefix   string // "" or ending in "/"
	cacheDir string
}

// NewS3 connects to the server and creates the bucket if it is missing.
func NewS3(ctx context.Context, o S3Options) (*S3, error) {
	endpoint, secure := o.Endpoint, o.UseSSL
	if rest, ok := strings.CutPrefix(endpoint, "https://"); ok {
		endpoint, secure = rest, true
	} else if rest, ok := strings.CutPrefix(endpoint, "http://"); ok {
		endpoint, secure = rest, false
	}
	endpoint = strings.TrimSuffix(endpoint, "/")
	if endpoint == "" || o.Bucket == "" || o.AccessKey == "" || o.SecretKey == "" {
		return nil, errors.New("files: s3 needs an endpoint, a bucket and keys")
	}
	c, err := minio.New(endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure: secure,
		Region: o.Region,
		// Path-style requests (endpoint/bucket/key) work with every S3-compatible server
		// and need no wildcard DNS; minio-go picks virtual-host style on amazonaws.com.
		BucketLookup: minio.BucketLookupAuto,
	})
	if err != nil {
		return nil, fmt.Errorf("files: s3 %s: %w", endpoint, err)
	}
	s := &S3{c: c, bucket: o.Bucket, cacheDir: o.CacheDir}
	if p := strings.Trim(o.Prefix, "/"); p != "" {
		if err := checkKey(p); err != nil {
			return nil, fmt.Errorf("files: s3 prefix %q: %w", o.Prefix, err)
		}
		s.prefix = p + "/"
	}
	if o.CacheDir != "" {
		if err := os.MkdirAll(o.CacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
	}
	ok, err := c.BucketExists(ctx, o.Bucket)
	if err != nil {
		return nil, fmt.Errorf("files: s3 %s bucket %s: %w", endpoint, o.Bucket, err)
	}
	if !ok {
		err := c.MakeBucket(ctx, o.Bucket, minio.MakeBucketOptions{Region: o.Region})
		if code := minio.ToErrorResponse(err).Code; err != nil && code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
			return nil, fmt.Errorf("files: s3 %s create bucket %s: %w", endpoint, o.Bucket, err)
		}
	}
	return s, nil
}

// CacheDir is the local directory of S3Options.CacheDir.
func (s *S3) CacheDir() string { return s.cacheDir }

// Bucket is the bucket the store writes to.
func (s *S3) Bucket() string { return s.bucket }

// Object is the object name of key (the prefix and the key).
func (s *S3) Object(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	return s.prefix + key, nil
}

// Put uploads data under key (S3 makes an object visible only once it is complete).
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	obj, err := s.Object(key)
	if err != nil {
		return err
	}
	_, err = s.c.PutObject(ctx, s.bucket, obj, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: contentType(key)})
	if err != nil {
		return fmt.Errorf("files: put %s: %w", key, err)
	}
	return nil
}

// PutFile uploads the local file src under key, streaming it (recordings and exports can
// be large).
func (s *S3) PutFile(ctx context.Context, key, src string) error {
	obj, err := s.Object(key)
	if err != nil {
		return err
	}
	// One part in flight: uploads run beside recording on small machines.
	_, err = s.c.FPutObject(ctx, s.bucket, obj, src, minio.PutObjectOptions{
		ContentType: contentType(key), NumThreads: 1, PartSize: 16 << 20,
	})
	if err != nil {
		return fmt.Errorf("files: put %s: %w", key, err)
	}
	return nil
}

// Fetch downloads key into the local file dst (created with its directory), atomically:
// dst is either absent or complete. Errors wrap os.ErrNotExist for missing objects.
func (s *S3) Fetch(ctx context.Context, key, dst string) (size int64, err error) {
	f, _, err := s.Open(ctx, key)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, fmt.Errorf("files: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".fetch-*")
	if err != nil {
		return 0, fmt.Errorf("files: %w", err)
	}
	size, err = io.Copy(tmp, f)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return 0, fmt.Errorf("files: fetch %s: %w", key, err)
	}
	return size, nil
}

// Delete removes key; a missing object is not an error.
func (s *S3) Delete(ctx context.Context, key string) error {
	obj, err := s.Object(key)
	if err != nil {
		return err
	}
	if err := s.c.RemoveObject(ctx, s.bucket, obj, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
		return fmt.Errorf("files: delete %s: %w", key, err)
	}
	return nil
}

// Exists reports whether key holds an object.
func (s *S3) Exists(ctx context.Context, key string) bool {
	obj, err := s.Object(key)
	if err != nil {
		return false
	}
	_, err = s.c.StatObject(ctx, s.bucket, obj, minio.StatObjectOptions{})
	return err == nil
}

// Open opens key for reading. The file seeks and reads with ranged GETs, so
// http.ServeContent serves range requests without downloading the whole object; ctx
// bounds its requests. Errors wrap os.ErrNotExist for missing objects.
func (s *S3) Open(ctx context.Context, key string) (File, time.Time, error) {
	obj, err := s.Object(key)
	if err != nil {
		return nil, time.Time{}, err
	}
	o, err := s.c.GetObject(ctx, s.bucket, obj, minio.GetObjectOptions{})
	if err != nil {
		return nil, time.Time{}, s3Err(key, err)
	}
	info, err := o.Stat()
	if err != nil {
		o.Close()
		return nil, time.Time{}, s3Err(key, err)
	}
	return o, info.LastModified, nil
}

// s3Err maps a missing object to os.ErrNotExist.
func s3Err(key string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("files: %s: %w", key, os.ErrNotExist)
	}
	return fmt.Errorf("files: %s: %w", key, err)
}

func isNotFound(err error) bool {
	r := minio.ToErrorResponse(err)
	return r.StatusCode == http.StatusNotFound || r.Code == "NoSuchKey" || r.Code == "NotFound"
}

// checkKey refuses anything but clean relative slash paths (Local.path's rule: a key must
// not name something else on a server that maps keys to files).
func checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.Contains(key, "\\") || strings.Contains(key, "\x00") {
		return ErrBadKey
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return ErrBadKey
		}
	}
	return nil
}

func contentType(key string) string {
	if path.Ext(key) == ".mp4" { // not in Go's built-in table
		return "video/mp4"
	}
	if t := mime.TypeByExtension(path.Ext(key)); t != "" {
		return t
	}
	return "application/octet-stream"
}
