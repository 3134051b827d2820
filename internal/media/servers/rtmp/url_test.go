package rtmp

import (
	"net/url"
	"testing"
)

func TestStreamPath(t *testing.T) {
	cases := []struct {
		in, path, tok string
		bad           bool
	}{
		// ffmpeg: tcUrl rtmp://h/live, stream "a/b?token=T"
		{in: "rtmp://h/live/a/b?token=T.x", path: "live/a/b", tok: "T.x"},
		// query kept on the app: tcUrl rtmp://h/live?token=T, stream "a/b"
		{in: "rtmp://h/live?token=T.x/a/b", path: "live/a/b", tok: "T.x"},
		// query on the app and on the stream name
		{in: "rtmp://h/live/a?x=1/b?token=T.x", path: "live/a/b", tok: "T.x"},
		{in: "rtmp://h/live/a%20b/c?token=T", path: "live/a b/c", tok: "T"},
		{in: "rtmp://h/live", path: "live"},
		{in: "rtmp://h/", bad: true},
		{in: "rtmp://h/live//a?token=T", bad: true},
		{in: "rtmp://h/live/../a?token=T", bad: true},
		{in: "rtmp://h/live?token=T/%zz", bad: true},
	}
	for _, c := range cases {
		u, err := url.Parse(c.in)
		if err != nil {
			t.Fatal(err)
		}
		path, tok, err := streamPath(u)
		if c.bad {
			if err == nil {
				t.Errorf("%s: accepted as %q", c.in, path)
			}
			continue
		}
		if err != nil || path != c.path || tok != c.tok {
			t.Errorf("%s: got %q %q %v, want %q %q", c.in, path, tok, err, c.path, c.tok)
		}
	}
}
