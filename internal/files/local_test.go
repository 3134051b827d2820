package files

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
)

func TestLocal(t *testing.T) {
	ctx := context.Background()
	l, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(ctx, "pictures/app/x.jpg", []byte("jpeg")); err != nil {
		t.Fatal(err)
	}
	f, _, err := l.Open(ctx, "pictures/app/x.jpg")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(f)
	f.Close()
	if string(b) != "jpeg" {
		t.Fatalf("read %q", b)
	}
	for _, k := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "pictures"} {
		if _, _, err := l.Open(ctx, k); err == nil {
			t.Errorf("Open(%q) succeeded", k)
		}
	}
	if err := l.Delete(ctx, "pictures/app/x.jpg"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Open(ctx, "pictures/app/x.jpg"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after delete: %v", err)
	}
	if err := l.Delete(ctx, "pictures/app/x.jpg"); err != nil {
		t.Fatalf("delete missing: %v", err)
	}
}
