package gb28181

import (
	"context"
	"sync"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// session is a registered device: where to reach it and when it was last heard from.
type session struct {
	reg        domain.Registration
	lastSeen   time.Time
	online     bool
	serverHost string // the address of ours the device registered to, when it was an IP
}

type sessions struct {
	mu sync.Mutex
	m  map[string]*session
}

func newSessions() *sessions { return &sessions{m: map[string]*session{}} }

func (s *sessions) put(x *session) {
	s.mu.Lock()
	s.m[x.reg.DeviceSn] = x
	s.mu.Unlock()
}

func (s *sessions) get(id string) (session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.m[id]
	if !ok {
		return session{}, false
	}
	return *x, true
}

func (s *sessions) remove(id string) {
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

// touch records that the device was heard from; it reports whether the device had been
// judged offline (so it is back).
func (s *sessions) touch(id string, now time.Time) (known, cameBack bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.m[id]
	if !ok {
		return false, false
	}
	x.lastSeen = now
	cameBack = !x.online
	x.online = true
	return true, cameBack
}

func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

// expire finds sessions whose registration ran out (removed) or whose keepalives stopped
// (marked offline, kept so a late keepalive brings the device back).
func (s *sessions) expire(now time.Time, silence time.Duration) (expired, silent []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, x := range s.m {
		switch {
		case now.After(x.reg.Expires):
			delete(s.m, id)
			if x.online {
				expired = append(expired, id)
			}
		case x.online && now.Sub(x.lastSeen) > silence:
			x.online = false
			silent = append(silent, id)
		}
	}
	return expired, silent
}

// watchLiveness turns devices offline when their registration expires or their keepalives
// stop, and drops catalog assemblies that never completed.
func (s *Server) watchLiveness(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	silence := s.cfg.KeepaliveInterval * time.Duration(s.cfg.KeepaliveMisses)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			expired, silent := s.sessions.expire(now, silence)
			for _, id := range expired {
				s.offline(ctx, id, "registration expired")
			}
			for _, id := range silent {
				s.offline(ctx, id, "keepalives stopped")
			}
			s.m.sessions.Set(float64(s.sessions.count()))
			for _, done := range s.catalogs.stale(now, 2*s.cfg.RequestTimeout) {
				s.applyCatalog(ctx, done)
			}
			for _, done := range s.records.stale(now, s.cfg.RequestTimeout/2) {
				s.waiters.deliver(done.key, done)
			}
		}
	}
}

func (s *Server) offline(ctx context.Context, id, reason string) {
	s.m.offline.WithLabelValues(reason).Inc()
	if err := s.sink.DeviceOffline(ctx, id, reason); err != nil {
		s.log.Warn("recording offline", "deviceSn", id, "err", err)
	}
}

func (s *sessions) setCharset(id, charset string) {
	s.mu.Lock()
	if x, ok := s.m[id]; ok {
		x.reg.Charset = charset
	}
	s.mu.Unlock()
}
