package northbound

import (
	"sync"
	"time"
)

// replayGuard remembers the signatures of non-GET requests: a signature seen twice while its
// timestamp is still acceptable is a replay. A timestamp is accepted for 2×window (window on
// either side of server time), so entries live in three generations rotated every window:
// each signature is remembered for at least 2×window, memory is bounded by the write rate
// over three windows, and nothing is swept entry by entry.
type replayGuard struct {
	window  time.Duration
	mu      sync.Mutex
	gens    [3]map[string]struct{} // gens[0] is current
	rotated time.Time
}

func newReplayGuard(window time.Duration, now time.Time) *replayGuard {
	g := &replayGuard{window: window, rotated: now}
	for i := range g.gens {
		g.gens[i] = map[string]struct{}{}
	}
	return g
}

// seen records sig and reports whether it was already recorded.
func (g *replayGuard) seen(sig string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Sub(g.rotated) >= 3*g.window { // idle for long: everything remembered has expired
		g.gens = [3]map[string]struct{}{{}, {}, {}}
		g.rotated = now
	}
	for now.Sub(g.rotated) >= g.window {
		g.gens[2], g.gens[1], g.gens[0] = g.gens[1], g.gens[0], map[string]struct{}{}
		g.rotated = g.rotated.Add(g.window)
	}
	for _, gen := range g.gens {
		if _, ok := gen[sig]; ok {
			return true
		}
	}
	g.gens[0][sig] = struct{}{}
	return false
}
