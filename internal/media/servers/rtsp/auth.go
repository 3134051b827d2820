package rtsp

import (
	"errors"
	"net/url"
	"time"

	"github.com/bluenviron/gortsplib/v5"

	"github.com/vionet/vionet/internal/media/token"
)

// errNoToken is the refusal cause of a request without a token and
// without an earlier authorization of the same path to fall back on.
var errNoToken = errors.New("rtsp: no token")

// authorize checks the read token carried in the query of a request URL
// ("token=T") against path. Without a token in the URL, fallback (the
// claims of an authorized DESCRIBE on the same connection, or of the
// session's SETUP) is accepted if it opens the same path and has not
// expired: some clients drop the query from the control URLs. Refusals are
// logged and counted.
func (s *Server) authorize(sc *gortsplib.ServerConn, query, path string, fallback *token.Claims) (token.Claims, error) {
	now := time.Now()
	q, _ := url.ParseQuery(query)
	tok := q.Get("token")
	var c token.Claims
	var err error
	switch {
	case tok != "":
		c, err = s.opts.Key.Verify(tok, path, token.Read, now)
	case fallback != nil && fallback.Path == path && now.Before(fallback.Expires):
		c = *fallback
	default:
		err = errNoToken
	}
	if err != nil {
		s.stats.tokensRefused.Add(1)
		s.log.Warn("rtsp: token refused", "path", path, "remote", remote(sc), "err", err)
		return token.Claims{}, err
	}
	return c, nil
}
