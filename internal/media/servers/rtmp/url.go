package rtmp

import (
	"errors"
	"net/url"
	"strings"
)

var errBadPath = errors.New("rtmp: bad stream path")

// streamPath returns the hub path and token named by the URL gortmplib
// joined from the connect tcUrl and the play/publish stream name.
//
// With ffmpeg (tcUrl rtmp://h/live, stream "a/b?token=T") the URL is
// already rtmp://h/live/a/b?token=T. A client that keeps the query on the
// application (tcUrl rtmp://h/live?token=T, stream "a/b") yields
// rtmp://h/live?token=T/a/b, whose query holds the rest of the path; it is
// moved back into the path.
func streamPath(u *url.URL) (path, tok string, err error) {
	p, q := u.Path, u.RawQuery
	if i := strings.IndexByte(q, '/'); i >= 0 {
		rest := q[i:]
		q = q[:i]
		if j := strings.IndexByte(rest, '?'); j >= 0 {
			q += "&" + rest[j+1:]
			rest = rest[:j]
		}
		rest, err = url.PathUnescape(rest)
		if err != nil {
			return "", "", errBadPath
		}
		p += rest
	}
	vals, err := url.ParseQuery(q)
	if err != nil {
		return "", "", errBadPath
	}
	path = strings.Trim(p, "/")
	if path == "" || strings.Contains(path, "//") {
		return "", "", errBadPath
	}
	for seg := range strings.SplitSeq(path, "/") {
		if seg == "." || seg == ".." {
			return "", "", errBadPath
		}
	}
	return path, vals.Get("token"), nil
}
