package psrtp

import "time"

// jpkt is an RTP packet waiting in the jitter buffer.
type jpkt struct {
	seq     uint16
	ts      uint32
	payload []byte
	at      time.Time
}

// maxMisorder is how far behind the expected sequence number a packet may
// be before it is taken as a restarted sequence rather than a late packet
// (RFC 3550 A.1 uses the same idea).
const maxMisorder = 1000

// jitter puts RTP packets back in sequence order. It holds at most size
// packets (and about maxBytes of payload); a missing sequence number is
// waited for at most delay after the first packet queued behind it, then
// declared lost. Over TCP (immediate) nothing is reordered in transit, so a
// gap is lost at once. emit receives the packets in order; gap is true when
// packets were lost (or the sequence restarted) just before this one.
type jitter struct {
	size      int
	delay     time.Duration
	maxBytes  int
	immediate bool
	emit      func(p *jpkt, gap bool)

	ring     []jpkt
	used     []bool
	count    int
	bytes    int
	started  bool
	next     uint16 // next sequence number to emit
	highest  uint16 // highest sequence number accepted
	since    time.Time
	pendGap  bool
	lost     uint64 // sequence numbers skipped
	reorder  uint64 // packets that arrived after a later one
	late     uint64 // duplicates and packets older than next
	restarts uint64
}

func newJitter(size int, delay time.Duration, maxBytes int, immediate bool, emit func(*jpkt, bool)) *jitter {
	return &jitter{size: size, delay: delay, maxBytes: maxBytes, immediate: immediate, emit: emit,
		ring: make([]jpkt, size), used: make([]bool, size)}
}

func (j *jitter) slot(seq uint16) int { return int(seq) % j.size }

// push accepts one packet (its payload is kept until emitted).
func (j *jitter) push(p jpkt) {
	if !j.started {
		j.started, j.next, j.highest = true, p.seq, p.seq
	}
	d := int(int16(p.seq - j.next))
	switch {
	case d < -maxMisorder:
		j.flushAll()
		j.restarts++
		j.next, j.highest, j.pendGap = p.seq, p.seq, true
	case d < 0:
		j.late++
		return
	case d >= j.size:
		j.skipTo(p.seq - uint16(j.size) + 1)
	}
	i := j.slot(p.seq)
	if j.used[i] {
		j.late++ // duplicate
		return
	}
	if int16(p.seq-j.highest) < 0 {
		j.reorder++
	} else {
		j.highest = p.seq
	}
	if j.count == 0 {
		j.since = p.at
	}
	j.ring[i], j.used[i] = p, true
	j.count++
	j.bytes += len(p.payload)
	j.drain()
	for j.count > 0 && (j.immediate || j.bytes > j.maxBytes) {
		j.skipHole()
	}
}

// deadline returns when the current hole must be given up (ok false when
// nothing waits).
func (j *jitter) deadline() (time.Time, bool) {
	if j.count == 0 {
		return time.Time{}, false
	}
	return j.since.Add(j.delay), true
}

// tick declares lost every hole whose wait time is over at now.
func (j *jitter) tick(now time.Time) {
	for j.count > 0 && !now.Before(j.since.Add(j.delay)) {
		j.skipHole()
	}
}

// drain emits the packets that follow next without a gap.
func (j *jitter) drain() {
	for j.count > 0 {
		i := j.slot(j.next)
		if !j.used[i] {
			return
		}
		p := j.ring[i]
		j.ring[i], j.used[i] = jpkt{}, false
		j.count--
		j.bytes -= len(p.payload)
		j.next++
		gap := j.pendGap
		j.pendGap = false
		j.emit(&p, gap)
	}
}

// skipHole gives up the missing packets before the oldest queued one, emits
// what follows and restarts the wait clock for the next hole.
func (j *jitter) skipHole() {
	for range j.size {
		if j.used[j.slot(j.next)] {
			break
		}
		j.next++
		j.lost++
		j.pendGap = true
	}
	j.drain()
	if j.count > 0 {
		// The next hole has waited as long as its oldest queued packet.
		first := true
		for i, u := range j.used {
			if u && (first || j.ring[i].at.Before(j.since)) {
				j.since, first = j.ring[i].at, false
			}
		}
	}
}

// skipTo emits or gives up everything before seq.
func (j *jitter) skipTo(seq uint16) {
	for j.count > 0 && int16(seq-j.next) > 0 {
		if !j.used[j.slot(j.next)] {
			j.next++
			j.lost++
			j.pendGap = true
			continue
		}
		j.drain()
	}
	if d := int16(seq - j.next); d > 0 {
		j.lost += uint64(d)
		j.next = seq
		j.pendGap = true
	}
}

// flushAll emits everything queued, giving up the holes between.
func (j *jitter) flushAll() {
	for j.count > 0 {
		j.skipHole()
	}
}
