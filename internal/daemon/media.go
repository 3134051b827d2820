package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/conf"
	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/files"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/ingest/psrtp"
	"github.com/vionet/vionet/internal/media/servers/hls"
	"github.com/vionet/vionet/internal/media/servers/httpflv"
	"github.com/vionet/vionet/internal/media/servers/rtmp"
	"github.com/vionet/vionet/internal/media/servers/rtsp"
	"github.com/vionet/vionet/internal/media/token"
)

// media is the node's media side: the hub, the RTP receiver, the viewer servers and the HTTP
// listener of HLS, HTTP-FLV and file downloads.
type media struct {
	cfg     conf.Config
	log     *slog.Logger
	hub     *hub.Hub
	key     token.Key
	ingest  *psrtp.Receiver
	rtsp    *rtsp.Server
	rtmp    *rtmp.Server
	hls     *hls.Handler
	flv     *httpflv.Handler
	files   files.Store
	loc     *localizer // local files of the store for the recorder and the player
	pulls   *pulls
	httpLn  net.Listener
	httpSrv *http.Server
	app     *app.App
}

// openMedia starts the media listeners (so their real ports are known for URLs) and wires
// the media use cases of a.
func openMedia(cfg conf.Config, a *app.App, streams app.StreamDriver, reg prometheus.Registerer, log *slog.Logger) (m *media, err error) {
	m = &media{cfg: cfg, log: log.With("component", "media"), app: a}
	defer func() {
		if err != nil {
			m.close()
		}
	}()
	if m.key, err = loadMediaKey(cfg); err != nil {
		return nil, err
	}
	m.hub = hub.New(hub.Options{OnEvent: m.onHubEvent})
	if m.files, m.loc, err = openFiles(cfg, m.log); err != nil {
		return nil, err
	}
	if m.ingest, err = newReceiver(cfg, m.hub, m.log); err != nil {
		return nil, err
	}
	m.pulls = newPulls(cfg.MediaPull, cfg.LiveIdleTimeout, m.hub, m.log)
	if cfg.RTSPAddr != "" {
		m.rtsp, err = rtsp.New(rtsp.Options{
			Hub: m.hub, Key: m.key, Addr: cfg.RTSPAddr, UDPRTPAddr: cfg.RTSPUDPRTPAddr, UDPRTCPAddr: cfg.RTSPUDPRTCPAddr,
			Demand: m.demand, Logger: m.log.With("server", "rtsp"),
		})
		if err != nil {
			return nil, fmt.Errorf("rtsp: %w", err)
		}
	}
	if cfg.RTMPAddr != "" {
		m.rtmp, err = rtmp.New(rtmp.Options{Hub: m.hub, Key: m.key, Addr: cfg.RTMPAddr, Demand: m.demand, Logger: m.log.With("server", "rtmp")})
		if err != nil {
			return nil, fmt.Errorf("rtmp: %w", err)
		}
	}
	m.hls = hls.New(hls.Options{Hub: m.hub, Key: m.key, Demand: m.demand, IdleTimeout: cfg.LiveIdleTimeout, Logger: m.log.With("server", "hls")})
	m.flv = httpflv.New(httpflv.Options{Hub: m.hub, Key: m.key, Demand: m.demand, Logger: m.log.With("server", "httpflv")})
	if m.httpLn, err = net.Listen("tcp", cfg.MediaHTTPAddr); err != nil {
		return nil, fmt.Errorf("media http listen: %w", err)
	}
	m.httpSrv = &http.Server{Handler: m.httpHandler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}

	transport, _ := domain.ParseStreamTransport(cfg.MediaTransport)
	a.SetMedia(app.MediaOptions{
		Ingest: &ingestAdapter{r: m.ingest, ip: rtpIP(cfg), domain: cfg.SIPDomain}, Hub: hubAdapter{m.hub},
		Snapshotter: snapshotter{hub: m.hub, ffmpeg: cfg.FFmpeg}, Files: m.files, Signer: signer{m.key},
		RTSPPort: m.rtspPort(), RTMPPort: m.rtmpPort(), HTTPPort: tcpPort(m.httpLn.Addr()),
		Transport: transport, StartTimeout: cfg.LiveStartTimeout, IdleTimeout: cfg.LiveIdleTimeout,
	}, liveFailures(reg))
	a.SetStreamDriver(streams)
	a.SetRecording(app.RecordingOptions{
		Recorder:     recorderAdapter{hub: m.hub, files: m.loc, segment: cfg.RecordSegment, log: m.log.With("component", "recorder")},
		Player:       playerAdapter{hub: m.hub, files: m.loc, ffmpeg: cfg.FFmpeg, log: m.log.With("component", "playback")},
		RetentionDay: cfg.RetentionDay, ArchiveAfter: cfg.ArchiveAfter, ThawDelay: cfg.ThawDelay,
	})
	registerMediaMetrics(reg, m)
	return m, nil
}

// serve runs the media HTTP server until shutdown.
func (m *media) serve() {
	m.log.Info("media listening", "rtsp", m.rtspPort(), "rtmp", m.rtmpPort(),
		"http", m.httpLn.Addr().String(), "rtp", describeReceiver(m.cfg, m.ingest))
	if err := m.httpSrv.Serve(m.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
		m.log.Error("media http stopped", "err", err)
	}
}

// shutdown hangs up every device stream, then stops the servers.
func (m *media) shutdown(ctx context.Context) {
	m.app.StopStreams()
	if m.flv != nil {
		m.flv.Close() // ends the endless FLV responses Shutdown would wait for
	}
	if m.hls != nil {
		m.hls.Close()
	}
	if m.httpSrv != nil {
		_ = m.httpSrv.Shutdown(ctx)
	}
	m.close()
}

func (m *media) close() {
	if m.pulls != nil {
		m.pulls.close()
	}
	if m.rtsp != nil {
		m.rtsp.Close()
	}
	if m.rtmp != nil {
		_ = m.rtmp.Close()
	}
	if m.hls != nil {
		m.hls.Close()
	}
	if m.flv != nil {
		m.flv.Close()
	}
	if m.ingest != nil {
		m.ingest.Close()
	}
	if m.httpLn != nil {
		_ = m.httpLn.Close()
	}
}

// onHubEvent feeds reader counts to the live streams' idle timers and to the pulls.
func (m *media) onHubEvent(e hub.Event) {
	if e.Kind == hub.ReaderAdded || e.Kind == hub.ReaderRemoved {
		m.app.ReadersChanged(e.Path, e.Readers)
		m.pulls.readersChanged(e.Path, e.Readers)
	}
}

// demand starts the source of a path a viewer asked for: a configured pull, or a device's
// live stream for the tenant the token was issued to.
func (m *media) demand(ctx context.Context, path string, c token.Claims) error {
	if m.pulls.has(path) {
		return m.pulls.demand(ctx, path)
	}
	if c.AppID == "" {
		return fmt.Errorf("no source for %q", path)
	}
	return m.app.DemandStream(ctx, c.AppID, path)
}

// httpHandler serves HLS, HTTP-FLV and stored files on the media HTTP listener.
func (m *media) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /hls/", m.hls)
	mux.Handle("GET /flv/", m.flv)
	mux.HandleFunc("GET /files/", m.serveFile)
	mux.HandleFunc("GET /thumbs/", m.serveRecordingThumbnail)
	return mux
}

// serveFile serves a stored file (pictures, downloads, clips) to a holder of a token for
// "files/<key>".
func (m *media) serveFile(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if _, err := m.key.Verify(r.URL.Query().Get("token"), path, token.Read, time.Now()); err != nil {
		m.log.Info("file token refused", "path", path, "err", err)
		http.Error(w, "unauthorized: "+err.Error(), http.StatusUnauthorized)
		return
	}
	m.serveKey(w, r, strings.TrimPrefix(path, "files/"))
}

// serveKey serves one file of the store, with range requests (players seek in MP4s).
func (m *media) serveKey(w http.ResponseWriter, r *http.Request, key string) {
	f, mod, err := m.files.Open(r.Context(), key)
	if err != nil {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	defer f.Close()
	switch {
	case strings.HasSuffix(key, ".jpg"):
		w.Header().Set("Content-Type", "image/jpeg")
	case strings.HasSuffix(key, ".mp4"):
		w.Header().Set("Content-Type", "video/mp4")
	}
	w.Header().Set("Access-Control-Allow-Origin", "*")
	http.ServeContent(w, r, filepath.Base(key), mod, f)
}

// serveRecordingThumbnail serves the thumbnail of a cloud recording (made on first request)
// to a holder of a token for its path, thumbs/<recordId>/<w>x<h>.jpg.
func (m *media) serveRecordingThumbnail(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/")
	if _, err := m.key.Verify(r.URL.Query().Get("token"), path, token.Read, time.Now()); err != nil {
		http.Error(w, "unauthorized: "+err.Error(), http.StatusUnauthorized)
		return
	}
	key, err := m.app.RecordingThumbnail(r.Context(), path)
	if err != nil {
		m.log.Info("recording thumbnail", "path", path, "err", err)
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	r.URL.Path = "/files/" + key
	m.serveKey(w, r, key)
}

// loadMediaKey returns the configured media key, or the node's own kept in the data
// directory (made on first start). Nodes sharing a database must share --media-key.
func loadMediaKey(cfg conf.Config) (token.Key, error) {
	if cfg.MediaKey != "" {
		return token.NewKey([]byte(cfg.MediaKey))
	}
	p := filepath.Join(cfg.DataDir, "media.key")
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		var raw [32]byte
		_, _ = rand.Read(raw[:])
		b = []byte(hex.EncodeToString(raw[:]))
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return token.Key{}, err
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return token.Key{}, fmt.Errorf("media key: %w", err)
		}
	} else if err != nil {
		return token.Key{}, fmt.Errorf("media key: %w", err)
	}
	return token.NewKey([]byte(strings.TrimSpace(string(b))))
}

func (m *media) rtspPort() int {
	if m.rtsp == nil {
		return 0
	}
	return tcpPort(m.rtsp.Addr())
}

func (m *media) rtmpPort() int {
	if m.rtmp == nil {
		return 0
	}
	return tcpPort(m.rtmp.Addr())
}

// tcpPort is the port of a listener address (0 for none).
func tcpPort(a net.Addr) int {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.Port
	}
	return 0
}

// rtpIP is the address devices send streams to.
func rtpIP(cfg conf.Config) string {
	if cfg.RTPIP != "" {
		return cfg.RTPIP
	}
	return cfg.IntranetHost
}
