package psrtp

import "errors"

// Diagnosis errors: Session.Wait and Session.Err return errors that wrap one
// of these (test with errors.Is) and whose message names the details (port,
// timeout, expected and seen SSRC, source address, payload type, counts).
var (
	// ErrNoRTP: no RTP at all arrived within NoRTPTimeout.
	ErrNoRTP = errors.New("psrtp: no RTP")
	// ErrWrongSSRC: packets arrived, but with another SSRC than the one
	// offered, and they could not be accepted.
	ErrWrongSSRC = errors.New("psrtp: RTP with another SSRC")
	// ErrTCPConnect: the active TCP connect to the device failed; the dial
	// error is wrapped too.
	ErrTCPConnect = errors.New("psrtp: TCP connect to device failed")
	// ErrNoKeyframe: RTP arrived but no decodable video keyframe (with its
	// parameter sets) within KeyframeTimeout.
	ErrNoKeyframe = errors.New("psrtp: no decodable keyframe")
	// ErrNotPS: the RTP payload is not an MPEG Program Stream (wrong payload
	// type, or no pack header / PES start code in it).
	ErrNotPS = errors.New("psrtp: payload is not an MPEG program stream")
	// ErrStalled: the stream was running and then no RTP arrived for
	// NoRTPTimeout.
	ErrStalled = errors.New("psrtp: stream stalled")
)

// Other errors.
var (
	// ErrSessionClosed is the Err of a session ended by Session.Close or
	// Receiver.Close.
	ErrSessionClosed = errors.New("psrtp: session closed")
	// ErrReceiverClosed is returned by Open after Receiver.Close.
	ErrReceiverClosed = errors.New("psrtp: receiver closed")
	// ErrNoPorts is returned by Open when every port of the range is taken.
	ErrNoPorts = errors.New("psrtp: no free port in range")
	// ErrInUse is returned by Open when another open session has the same
	// path, or (shared mode) the same SSRC.
	ErrInUse = errors.New("psrtp: path or SSRC already in use")
	// ErrBadRequest is returned by Open for an invalid Request.
	ErrBadRequest = errors.New("psrtp: bad request")
)
