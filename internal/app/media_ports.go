package app

import (
	"context"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// The ports of the media use cases (live view, thumbnails, snapshots). app starts a live view
// by asking MediaIngest for a receiving endpoint, asking the device's StreamDriver to send
// there, and waiting for the path to come up in the hub.

// MediaIngest receives device streams (PS over RTP for GB/T 28181) and publishes each at a
// hub path.
type MediaIngest interface {
	// Open prepares to receive the stream for path. history selects the playback SSRC range;
	// deviceIP (optional) lets the receiver bind a stream whose SSRC the device got wrong.
	Open(ctx context.Context, path string, history bool, t domain.StreamTransport, deviceIP string) (IngestSession, error)
	// ReceiveIP is the address devices are told to send to (SDP c=).
	ReceiveIP() string
}

// IngestSession is one stream being received.
type IngestSession interface {
	SSRC() string
	Port() int
	// Connect dials the device (TCP active) at the address from its SDP answer.
	Connect(ctx context.Context, remote string) error
	// Wait returns once the path is published, or with an error naming why not (no RTP,
	// wrong SSRC, TCP connect failed, no keyframe).
	Wait(ctx context.Context) error
	// Done is closed when the stream ended (closed, or stalled).
	Done() <-chan struct{}
	Err() error
	Close()
}

// StreamRequest asks a device to send one camera's stream.
type StreamRequest struct {
	DeviceSn     string // the registered device
	Target       string // the camera's code (the device or a channel)
	StreamNumber int    // 0 main stream, 1 sub stream
	SSRC         string
	Transport    domain.StreamTransport
	ReceiveIP    string
	ReceivePort  int
	// Playback asks for the device's own recording of [Start, End] instead of live video;
	// with Download, as a download at DownloadSpeed times real time.
	Playback      bool
	Download      bool
	DownloadSpeed float64
	Start, End    time.Time
}

// StreamCall is a device sending a stream (a GB/T 28181 INVITE dialog).
type StreamCall struct {
	ID         string
	SSRC       string          // as the device answered
	DeviceAddr string          // host:port from the device's answer (TCP active dials it)
	Done       <-chan struct{} // closed when the device hung up
}

// StreamDriver is the part of a device driver that starts and stops streams.
type StreamDriver interface {
	StartStream(ctx context.Context, r StreamRequest) (StreamCall, error)
	StopStream(ctx context.Context, callID string) error
	// ControlStream sends a playback control (MANSRTSP: PLAY with Scale, PAUSE, Range) in a
	// running playback.
	ControlStream(ctx context.Context, callID, mansrtsp string) error
}

// MediaHub is what the use cases ask of the stream hub.
type MediaHub interface {
	Published(path string) bool
	Readers(path string) int
	// Codecs returns the names of the path's video and audio codecs ("H264", "G711A", ...;
	// empty when the track is absent).
	Codecs(path string) (video, audio string)
}

// Snapshotter turns the latest keyframe of a path into a JPEG of the given size (0: source).
type Snapshotter interface {
	Grab(ctx context.Context, path string, width, height int) ([]byte, error)
}

// Files stores pictures (and later recordings): local disk or S3-compatible storage.
type Files interface {
	Put(ctx context.Context, key string, data []byte) error
	Delete(ctx context.Context, key string) error
	Exists(ctx context.Context, key string) bool
}

// URLSigner signs the token a media URL carries: it opens path for appID until expires.
type URLSigner interface {
	Sign(path, appID string, expires time.Time) string
}

// MediaOptions configures the media use cases.
type MediaOptions struct {
	Ingest      MediaIngest
	Hub         MediaHub
	Snapshotter Snapshotter
	Files       Files
	Signer      URLSigner

	// Ports the media servers listen on, written into URLs (0: protocol off).
	RTSPPort, RTMPPort, HTTPPort int

	Transport    domain.StreamTransport // how devices are asked to send
	StartTimeout time.Duration          // INVITE to first keyframe (default 10 s)
	IdleTimeout  time.Duration          // no reader for this long → BYE (default 30 s)
}
