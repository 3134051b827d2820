package refdevice

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

// Simulated head limits and rates.
const (
	minTilt, maxTilt = -90.0, 90.0
	minZoom, maxZoom = 1.0, 30.0
	// maxPanRate is the pan (and tilt) rate in degrees per second at speed
	// byte 255; speed 0 moves at the rate of speed 1.
	maxPanRate = 60.0
	// zoomRate is the zoom ratio change per second per unit of zoom speed
	// (0–15, 0 moving as 1).
	zoomRate = 0.2
	// defaultStay is a cruise point's stay when the route sets none.
	defaultStay = 5
	// defaultCruiseSpeed is a cruise point's speed when the route sets none.
	defaultCruiseSpeed = 10
)

// Position is where a simulated head points: Pan in degrees [0, 360),
// Tilt in degrees [-90, 90] (positive is up), Zoom as the zoom ratio
// [1, 30].
type Position struct {
	Pan  float64
	Tilt float64
	Zoom float64
}

// Preset is a stored head position.
type Preset struct {
	ID       int
	Name     string
	Position Position
}

// CruisePoint is one stop of a cruise track: a preset, the stay there in
// seconds and the speed to reach it.
type CruisePoint struct {
	Preset int
	Stay   int
	Speed  int
}

// CruiseTrack is a cruise route (group) with its points. Speed and Stay
// are the values last set for the route (0: never set); they apply to the
// points already added and to those added later.
type CruiseTrack struct {
	Number int
	Name   string
	Speed  int
	Stay   int
	Points []CruisePoint
}

// HomePosition is the home (guard) position setting: when Enabled the
// head returns to preset PresetIndex after ResetTime seconds idle (not
// simulated beyond storing it).
type HomePosition struct {
	Enabled     bool
	ResetTime   int
	PresetIndex int
}

// HeadState is a snapshot of a simulated PTZ head.
type HeadState struct {
	Position Position
	// Moving is the motion in progress (0 when still).
	Moving manscdp.Direction
	// PanSpeed, TiltSpeed and ZoomSpeed are the speeds of that motion.
	PanSpeed, TiltSpeed, ZoomSpeed uint8
	Presets                        []Preset
	Cruises                        []CruiseTrack
	// Cruising is the route being cruised, Scanning the scan group being
	// scanned (0: none).
	Cruising int
	Scanning int
	Home     HomePosition
	// AuxOn lists the auxiliary switches that are on (1 is the wiper).
	AuxOn []int
	// LastFI is the last focus/iris command's kind, e.g. "focus-far",
	// "iris-close" or "stop" ("" when none came).
	LastFI string
}

type scanGroup struct {
	left, right float64
	speed       int
	leftSet     bool
	rightSet    bool
}

// head is a simulated PTZ head. Motion is integrated lazily: every access
// first advances the position to now.
type head struct {
	mu  sync.Mutex
	now func() time.Time

	pos Position
	at  time.Time

	dir                 manscdp.Direction
	panSp, tiltSp, zoSp uint8

	presets map[int]Preset
	cruises map[int]*CruiseTrack
	scans   map[int]*scanGroup

	cruising    int
	cruiseSince time.Time
	scanning    int
	scanSince   time.Time
	scanFrom    float64

	home   HomePosition
	aux    map[int]bool
	lastFI string
}

func newHead(now func() time.Time) *head {
	if now == nil {
		now = time.Now
	}
	return &head{
		now:     now,
		pos:     Position{Pan: 0, Tilt: 0, Zoom: 1},
		at:      now(),
		presets: make(map[int]Preset),
		cruises: make(map[int]*CruiseTrack),
		scans:   make(map[int]*scanGroup),
		aux:     make(map[int]bool),
	}
}

func panRate(speed uint8) float64 {
	return math.Max(float64(speed), 1) * maxPanRate / 255
}

func wrapPan(p float64) float64 {
	p = math.Mod(p, 360)
	if p < 0 {
		p += 360
	}
	return p
}

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// advanceLocked brings pos up to now.
func (h *head) advanceLocked() {
	now := h.now()
	dt := now.Sub(h.at).Seconds()
	h.at = now
	if dt <= 0 {
		return
	}
	switch {
	case h.cruising != 0:
		h.cruisePositionLocked(now)
	case h.scanning != 0:
		h.scanPositionLocked(now)
	case h.dir != 0:
		if h.dir&manscdp.DirRight != 0 {
			h.pos.Pan += panRate(h.panSp) * dt
		}
		if h.dir&manscdp.DirLeft != 0 {
			h.pos.Pan -= panRate(h.panSp) * dt
		}
		if h.dir&manscdp.DirUp != 0 {
			h.pos.Tilt += panRate(h.tiltSp) * dt
		}
		if h.dir&manscdp.DirDown != 0 {
			h.pos.Tilt -= panRate(h.tiltSp) * dt
		}
		zr := math.Max(float64(h.zoSp), 1) * zoomRate * dt
		if h.dir&manscdp.DirZoomIn != 0 {
			h.pos.Zoom += zr
		}
		if h.dir&manscdp.DirZoomOut != 0 {
			h.pos.Zoom -= zr
		}
		h.pos.Pan = wrapPan(h.pos.Pan)
		h.pos.Tilt = clamp(h.pos.Tilt, minTilt, maxTilt)
		h.pos.Zoom = clamp(h.pos.Zoom, minZoom, maxZoom)
	}
}

// cruisePositionLocked puts the head on the point of the cruised route
// that is current at now: each point holds for its stay time, in order,
// round and round.
func (h *head) cruisePositionLocked(now time.Time) {
	tr := h.cruises[h.cruising]
	if tr == nil || len(tr.Points) == 0 {
		return
	}
	total := 0
	for _, p := range tr.Points {
		total += max(p.Stay, 1)
	}
	elapsed := int(now.Sub(h.cruiseSince).Seconds()) % total
	for _, p := range tr.Points {
		elapsed -= max(p.Stay, 1)
		if elapsed < 0 {
			if pr, ok := h.presets[p.Preset]; ok {
				h.pos = pr.Position
			}
			return
		}
	}
}

// scanPositionLocked sweeps the pan back and forth between the scan
// group's boundaries at its speed (value/10 degrees per second, at least
// 1).
func (h *head) scanPositionLocked(now time.Time) {
	g := h.scans[h.scanning]
	if g == nil {
		return
	}
	width := g.right - g.left
	if width <= 0 {
		width += 360
	}
	rate := math.Max(float64(g.speed)/10, 1)
	travelled := math.Mod(rate*now.Sub(h.scanSince).Seconds(), 2*width)
	off := travelled
	if travelled > width {
		off = 2*width - travelled
	}
	h.pos.Pan = wrapPan(g.left + off)
}

func (h *head) stopLocked() {
	h.dir, h.panSp, h.tiltSp, h.zoSp = 0, 0, 0, 0
	h.cruising, h.scanning = 0, 0
}

// apply executes a decoded PTZCmd. presetName, when not empty, names a
// preset being set (2022 PTZCmdParams/PresetName).
func (h *head) apply(c manscdp.Command, presetName string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.advanceLocked()
	switch c.Kind {
	case manscdp.KindStop:
		h.stopLocked()
	case manscdp.KindPTZ:
		h.cruising, h.scanning = 0, 0
		h.dir, h.panSp, h.tiltSp, h.zoSp = c.Direction&0x3F, c.PanSpeed, c.TiltSpeed, c.ZoomSpeed
	case manscdp.KindFI:
		switch {
		case c.FocusFar:
			h.lastFI = "focus-far"
		case c.FocusNear:
			h.lastFI = "focus-near"
		case c.IrisOpen:
			h.lastFI = "iris-open"
		case c.IrisClose:
			h.lastFI = "iris-close"
		default:
			h.lastFI = "stop"
		}
	case manscdp.KindSetPreset:
		if c.Preset == 0 {
			return fmt.Errorf("preset 0")
		}
		name := presetName
		if name == "" {
			if old, ok := h.presets[int(c.Preset)]; ok {
				name = old.Name
			} else {
				name = fmt.Sprintf("预置点%d", c.Preset)
			}
		}
		h.presets[int(c.Preset)] = Preset{ID: int(c.Preset), Name: name, Position: h.pos}
	case manscdp.KindCallPreset:
		p, ok := h.presets[int(c.Preset)]
		if !ok {
			return fmt.Errorf("no preset %d", c.Preset)
		}
		h.stopLocked()
		h.pos = p.Position
	case manscdp.KindDeletePreset:
		if _, ok := h.presets[int(c.Preset)]; !ok {
			return fmt.Errorf("no preset %d", c.Preset)
		}
		delete(h.presets, int(c.Preset))
	case manscdp.KindCruiseAddPoint:
		tr := h.cruises[int(c.Group)]
		if tr == nil {
			tr = &CruiseTrack{Number: int(c.Group), Name: fmt.Sprintf("巡航%d", c.Group)}
			h.cruises[int(c.Group)] = tr
		}
		stay, speed := tr.Stay, tr.Speed
		if stay == 0 {
			stay = defaultStay
		}
		if speed == 0 {
			speed = defaultCruiseSpeed
		}
		tr.Points = append(tr.Points, CruisePoint{Preset: int(c.Preset), Stay: stay, Speed: speed})
	case manscdp.KindCruiseDeletePoint:
		tr := h.cruises[int(c.Group)]
		if tr == nil {
			return fmt.Errorf("no cruise route %d", c.Group)
		}
		if c.Preset == 0 {
			delete(h.cruises, int(c.Group))
			if h.cruising == int(c.Group) {
				h.cruising = 0
			}
			break
		}
		tr.Points = slices.DeleteFunc(tr.Points, func(p CruisePoint) bool { return p.Preset == int(c.Preset) })
	case manscdp.KindCruiseSpeed, manscdp.KindCruiseStay:
		tr := h.cruises[int(c.Group)]
		if tr == nil {
			tr = &CruiseTrack{Number: int(c.Group), Name: fmt.Sprintf("巡航%d", c.Group)}
			h.cruises[int(c.Group)] = tr
		}
		for i := range tr.Points {
			if c.Kind == manscdp.KindCruiseSpeed {
				tr.Points[i].Speed = int(c.Value)
			} else {
				tr.Points[i].Stay = int(c.Value)
			}
		}
		if c.Kind == manscdp.KindCruiseSpeed {
			tr.Speed = int(c.Value)
		} else {
			tr.Stay = int(c.Value)
		}
	case manscdp.KindCruiseStart:
		tr := h.cruises[int(c.Group)]
		if tr == nil || len(tr.Points) == 0 {
			return fmt.Errorf("cruise route %d has no points", c.Group)
		}
		h.stopLocked()
		h.cruising, h.cruiseSince = int(c.Group), h.at
		h.cruisePositionLocked(h.at)
	case manscdp.KindScanSetLeft, manscdp.KindScanSetRight, manscdp.KindScanSpeed:
		g := h.scans[int(c.Group)]
		if g == nil {
			g = &scanGroup{speed: defaultCruiseSpeed}
			h.scans[int(c.Group)] = g
		}
		switch c.Kind {
		case manscdp.KindScanSetLeft:
			g.left, g.leftSet = h.pos.Pan, true
		case manscdp.KindScanSetRight:
			g.right, g.rightSet = h.pos.Pan, true
		default:
			g.speed = int(c.Value)
		}
	case manscdp.KindScanStart:
		g := h.scans[int(c.Group)]
		if g == nil {
			// An unset group scans the full circle from where the head is.
			g = &scanGroup{left: h.pos.Pan, right: h.pos.Pan, speed: defaultCruiseSpeed}
			h.scans[int(c.Group)] = g
		}
		h.stopLocked()
		h.scanning, h.scanSince = int(c.Group), h.at
		h.scanPositionLocked(h.at)
	case manscdp.KindAuxOn:
		h.aux[int(c.Aux)] = true
	case manscdp.KindAuxOff:
		delete(h.aux, int(c.Aux))
	default:
		return fmt.Errorf("unknown PTZ instruction 0x%02X", c.Code)
	}
	return nil
}

// setPrecise moves the head to an absolute position (2022 PTZPreciseCtrl);
// nil fields keep their value.
func (h *head) setPrecise(p *manscdp.PTZPreciseCtrl) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.advanceLocked()
	h.stopLocked()
	if p.Pan != nil {
		h.pos.Pan = wrapPan(*p.Pan)
	}
	if p.Tilt != nil {
		h.pos.Tilt = clamp(*p.Tilt, minTilt, maxTilt)
	}
	if p.Zoom != nil {
		h.pos.Zoom = clamp(*p.Zoom, minZoom, maxZoom)
	}
}

// dragZoom zooms in (×2) or out (÷2) for DragZoomIn/DragZoomOut.
func (h *head) dragZoom(in bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.advanceLocked()
	h.stopLocked()
	if in {
		h.pos.Zoom = clamp(h.pos.Zoom*2, minZoom, maxZoom)
	} else {
		h.pos.Zoom = clamp(h.pos.Zoom/2, minZoom, maxZoom)
	}
}

func (h *head) setHome(hp *manscdp.HomePosition) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.home.Enabled = hp.Enabled == 1
	if hp.ResetTime != nil {
		h.home.ResetTime = *hp.ResetTime
	}
	if hp.PresetIndex != nil {
		h.home.PresetIndex = *hp.PresetIndex
	}
}

// state returns a snapshot, presets and cruises sorted by number.
func (h *head) state() HeadState {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.advanceLocked()
	s := HeadState{
		Position: h.pos,
		Moving:   h.dir,
		PanSpeed: h.panSp, TiltSpeed: h.tiltSp, ZoomSpeed: h.zoSp,
		Cruising: h.cruising,
		Scanning: h.scanning,
		Home:     h.home,
		LastFI:   h.lastFI,
	}
	for _, p := range h.presets {
		s.Presets = append(s.Presets, p)
	}
	slices.SortFunc(s.Presets, func(a, b Preset) int { return a.ID - b.ID })
	for _, tr := range h.cruises {
		c := *tr
		c.Points = slices.Clone(tr.Points)
		s.Cruises = append(s.Cruises, c)
	}
	slices.SortFunc(s.Cruises, func(a, b CruiseTrack) int { return a.Number - b.Number })
	for n := range h.aux {
		s.AuxOn = append(s.AuxOn, n)
	}
	slices.Sort(s.AuxOn)
	return s
}
