package daemon

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/ingest/rtsppull"
)

// pulls runs the configured RTSP pulls (media-pull) on demand, over RTSP/TCP (interleaved:
// it crosses NAT and firewalls, and asking for UDP first costs every start a refused round
// trip with most cameras): a viewer arriving at the path
// starts the pull, and it stops live-idle-timeout after the last reader left, like a device stream.
type pulls struct {
	idle time.Duration
	hub  *hub.Hub
	log  *slog.Logger
	urls map[string]string // path → source URL

	mu      sync.Mutex
	running map[string]*runningPull
}

type runningPull struct {
	src  *rtsppull.Source
	stop context.CancelFunc
	idle *time.Timer
}

func newPulls(entries []string, idle time.Duration, h *hub.Hub, log *slog.Logger) *pulls {
	p := &pulls{idle: idle, hub: h, log: log.With("component", "pull"), urls: map[string]string{}, running: map[string]*runningPull{}}
	for _, e := range entries {
		if path, u, ok := strings.Cut(e, "="); ok {
			p.urls[path] = u
		}
	}
	return p
}

func (p *pulls) has(path string) bool { _, ok := p.urls[path]; return ok }

// demand starts the pull of path if it is not running, and waits until it publishes.
func (p *pulls) demand(ctx context.Context, path string) error {
	p.mu.Lock()
	r := p.running[path]
	if r == nil {
		pctx, cancel := context.WithCancel(context.Background())
		r = &runningPull{stop: cancel, src: rtsppull.Start(pctx, rtsppull.Options{Hub: p.hub, Path: path, URL: p.urls[path], Transport: "tcp", Logger: p.log})}
		p.running[path] = r
		p.log.Info("pull started", "path", path)
	}
	p.mu.Unlock()
	err := r.src.Wait(ctx)
	if err != nil {
		p.stop(path, r, "start failed: "+err.Error())
	}
	return err
}

// readersChanged arms the idle stop when the last reader of a pulled path left.
func (p *pulls) readersChanged(path string, readers int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.running[path]
	if r == nil {
		return
	}
	if r.idle != nil {
		r.idle.Stop()
	}
	if readers == 0 {
		r.idle = time.AfterFunc(p.idle, func() {
			if p.hub.Readers(path) == 0 {
				p.stop(path, r, "idle")
			}
		})
	}
}

func (p *pulls) stop(path string, r *runningPull, reason string) {
	p.mu.Lock()
	if p.running[path] == r {
		delete(p.running, path)
	}
	p.mu.Unlock()
	r.stop()
	r.src.Close()
	p.log.Info("pull stopped", "path", path, "reason", reason)
}

func (p *pulls) close() {
	p.mu.Lock()
	all := p.running
	p.running = map[string]*runningPull{}
	p.mu.Unlock()
	for path, r := range all {
		r.stop()
		r.src.Close()
		p.log.Info("pull stopped", "path", path, "reason", "shutdown")
	}
}
