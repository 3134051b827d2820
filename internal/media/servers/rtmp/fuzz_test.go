package rtmp

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzStreamPath: whatever URL a client makes gortmplib build, streamPath
// does not panic and only returns clean relative paths.
func FuzzStreamPath(f *testing.F) {
	for _, s := range []string{
		"rtmp://h/live/a/b?token=T.x",
		"rtmp://h/live?token=T.x/a/b",
		"rtmp://h/live/a?x=1/b?token=T.x",
		"rtmp://h/live/a%2Fb?token=%zz",
		"rtmp://h//..//?token=/../",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.Parse(s)
		if err != nil {
			return
		}
		path, _, err := streamPath(u)
		if err != nil {
			return
		}
		if path == "" || strings.HasPrefix(path, "/") || strings.HasSuffix(path, "/") || strings.Contains(path, "//") {
			t.Fatalf("%q -> %q", s, path)
		}
		for _, seg := range strings.Split(path, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("%q -> %q", s, path)
			}
		}
	})
}
