package hls

import (
	"strings"
	"testing"
)

func TestParseURLPath(t *testing.T) {
	good := map[string]request{
		"/hls/T/live/a/b/index.m3u8": {"T", "live/a/b", "index.m3u8"},
		"/hls/T/p/x_main_seg3.ts":    {"T", "p", "x_main_seg3.ts"},
		"/hls/a.b/live/1/2/0/i.m3u8": {"a.b", "live/1/2/0", "i.m3u8"},
	}
	for in, want := range good {
		got, ok := parseURLPath(in)
		if !ok || got != want {
			t.Errorf("%q: got %+v %v, want %+v", in, got, ok, want)
		}
	}
	for _, in := range []string{
		"", "/", "/hls/", "/hls/T", "/hls/T/", "/hls/T/index.m3u8", "/hls//p/index.m3u8",
		"/hls/T/p/", "/hls/T//p/index.m3u8", "/hls/T/p//index.m3u8", "/hls/T/../index.m3u8",
		"/hls/T/a/./index.m3u8", "/hls/T/a/..", "/flv/T/p/index.m3u8", "hls/T/p/index.m3u8",
	} {
		if r, ok := parseURLPath(in); ok {
			t.Errorf("%q accepted as %+v", in, r)
		}
	}
}

// FuzzParseURLPath: no panic, and an accepted path is rebuilt exactly from
// its parts with no empty or dot element.
func FuzzParseURLPath(f *testing.F) {
	f.Add("/hls/T/live/a/b/index.m3u8")
	f.Fuzz(func(t *testing.T, p string) {
		r, ok := parseURLPath(p)
		if !ok {
			return
		}
		if prefix+r.token+"/"+r.path+"/"+r.file != p {
			t.Fatalf("%q parsed as %+v", p, r)
		}
		if strings.Contains(r.token, "/") || strings.Contains(r.file, "/") || r.path == "" {
			t.Fatalf("%q parsed as %+v", p, r)
		}
	})
}
