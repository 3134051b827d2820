package hls

import "strings"

// prefix is the URL path prefix the handler serves.
const prefix = "/hls/"

// request is a parsed /hls/<token>/<hub path>/<file> URL path.
type request struct {
	token string
	path  string // hub path, slashes included
	file  string // last element: index.m3u8, a sub-playlist, a segment...
}

// isPlaylist reports whether the file is a playlist, which may start a
// muxer; segments and init files only make sense for a running one.
func (r request) isPlaylist() bool { return strings.HasSuffix(r.file, ".m3u8") }

// parseURLPath splits a request path. It refuses empty elements and dot
// elements, so a hub path is always spelled one way (the token is bound to
// that spelling).
func parseURLPath(p string) (request, bool) {
	rest, ok := strings.CutPrefix(p, prefix)
	if !ok {
		return request{}, false
	}
	tok, rest, ok := strings.Cut(rest, "/")
	if !ok || tok == "" {
		return request{}, false
	}
	i := strings.LastIndexByte(rest, '/')
	if i <= 0 {
		return request{}, false
	}
	r := request{token: tok, path: rest[:i], file: rest[i+1:]}
	if r.file == "" || r.file == "." || r.file == ".." {
		return request{}, false
	}
	for _, el := range strings.Split(r.path, "/") {
		if el == "" || el == "." || el == ".." {
			return request{}, false
		}
	}
	return r, true
}
