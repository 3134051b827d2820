package rtsppull

import (
	"errors"
	"fmt"
	"net"

	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
)

// Causes of a failed pull. Errors returned by Source.Wait and kept in
// Stats.LastError wrap one of them (or a hub error, such as
// hub.ErrPathBusy) so callers can tell them apart with errors.Is.
var (
	// ErrConnect: the server could not be reached (refused, unreachable,
	// timed out, closed the connection).
	ErrConnect = errors.New("rtsppull: cannot connect")
	// ErrUnauthorized: the server answered 401 or 403.
	ErrUnauthorized = errors.New("rtsppull: unauthorized")
	// ErrNotFound: the server answered 404.
	ErrNotFound = errors.New("rtsppull: stream not found")
	// ErrNoSupportedTrack: the stream has no H264, H265, AAC or G.711 track.
	ErrNoSupportedTrack = errors.New("rtsppull: no supported track")
	// ErrNoKeyframe: no video keyframe with parameter sets arrived within
	// Options.KeyframeTimeout after PLAY.
	ErrNoKeyframe = errors.New("rtsppull: no keyframe with parameter sets")
	// ErrEnded: the server ended a stream that had been playing.
	ErrEnded = errors.New("rtsppull: stream ended")
)

// classify wraps an error of the RTSP client in the cause it stands for.
func classify(err error) error {
	var bad liberrors.ErrClientBadStatusCode
	if errors.As(err, &bad) {
		switch bad.Code {
		case base.StatusUnauthorized, base.StatusForbidden:
			return fmt.Errorf("%w (%d)", ErrUnauthorized, bad.Code)
		case base.StatusNotFound:
			return fmt.Errorf("%w (404)", ErrNotFound)
		}
		return fmt.Errorf("rtsppull: server answered %d %s", bad.Code, bad.Message)
	}
	var ne net.Error
	var op *net.OpError
	if errors.As(err, &op) || errors.As(err, &ne) {
		return fmt.Errorf("%w: %v", ErrConnect, err)
	}
	return err
}
