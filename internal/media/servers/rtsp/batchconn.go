package rtsp

import (
	"net"
	"runtime"
	"sync"
	"time"
)

const (
	// batchLimit bounds the bytes a connection buffers for its flusher;
	// a client that reads slower than that blocks gortsplib's session
	// writer, whose queue then overflows and drops packets.
	batchLimit = 1 << 20
	// closeFlushTimeout bounds how long Close waits to flush what is left
	// (e.g. a TEARDOWN response) to a client.
	closeFlushTimeout = 500 * time.Millisecond
	// spareMax is the largest flushed buffer kept for reuse. A late joiner's
	// GOP burst grows the buffer to about a GOP (~1 MB at 4 Mbit/s); keeping
	// that per reader made RTSP cost ~620 KB per viewer (bench/media). Live
	// frames fit in far less, so larger buffers are left to the GC.
	spareMax = 128 << 10
)

// batchListener wraps the accepted connections in batchConns.
type batchListener struct{ net.Listener }

func (l batchListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return newBatchConn(c), nil
}

// batchConn coalesces the small writes of gortsplib into few system calls.
//
// gortsplib writes every interleaved RTP packet with its own Write, so one
// video frame of a 4 Mbit/s stream costs about 17 socket writes per reader,
// and those system calls were nearly all of the server's CPU time. Write
// here only appends to a buffer; a flusher goroutine writes whatever has
// accumulated in one call. While it is in the system call the next packets
// pile up, so a frame goes out in one or two writes, without adding a timer
// or latency when the connection is idle.
//
// Errors of the socket write are returned by the following Write, which
// makes gortsplib end the session as it would have. SetWriteDeadline is
// applied to the socket before each flush: it is the deadline of the
// latest packet, which is what gortsplib asked for.
type batchConn struct {
	net.Conn

	mu       sync.Mutex
	cond     *sync.Cond // signals data to flush, buffer space, flusher exit
	buf      []byte     // bytes waiting for the flusher
	spare    []byte     // the buffer the flusher wrote last, reused
	err      error      // first write error; later Writes return it
	deadline time.Time  // latest write deadline asked for
	applied  time.Time  // deadline last set on the socket
	closed   bool
	done     bool // flusher exited
}

func newBatchConn(c net.Conn) *batchConn {
	b := &batchConn{Conn: c}
	b.cond = sync.NewCond(&b.mu)
	go b.flush()
	return b
}

// Write queues p for the flusher. It blocks only while batchLimit bytes
// are already waiting.
func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.err == nil && !b.closed && len(b.buf) > 0 && len(b.buf)+len(p) > batchLimit {
		b.cond.Wait()
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.closed {
		return 0, net.ErrClosed
	}
	wake := len(b.buf) == 0
	b.buf = append(b.buf, p...)
	if wake {
		b.cond.Broadcast()
	}
	return len(p), nil
}

// SetWriteDeadline records the deadline for the next flush.
func (b *batchConn) SetWriteDeadline(t time.Time) error {
	b.mu.Lock()
	b.deadline = t
	b.mu.Unlock()
	return nil
}

// SetDeadline sets the read deadline now and the write deadline for the
// next flush.
func (b *batchConn) SetDeadline(t time.Time) error {
	_ = b.SetWriteDeadline(t)
	return b.Conn.SetReadDeadline(t)
}

func (b *batchConn) flush() {
	b.mu.Lock()
	defer func() {
		b.done = true
		b.cond.Broadcast()
		b.mu.Unlock()
	}()
	for {
		for len(b.buf) == 0 && !b.closed {
			b.cond.Wait()
		}
		if len(b.buf) == 0 || b.err != nil {
			return
		}
		if !b.closed {
			// Let the session writer append the rest of the frame first.
			b.mu.Unlock()
			runtime.Gosched()
			b.mu.Lock()
		}
		out := b.buf
		b.buf = b.spare[:0]
		deadline := b.deadline
		if b.closed {
			deadline = time.Now().Add(closeFlushTimeout)
		}
		b.mu.Unlock()
		var err error
		if !deadline.Equal(b.applied) {
			err = b.Conn.SetWriteDeadline(deadline)
			b.applied = deadline
		}
		if err == nil {
			_, err = b.Conn.Write(out)
		}
		b.mu.Lock()
		if cap(out) <= spareMax {
			b.spare = out[:0]
		} else {
			b.spare = nil
		}
		if err != nil {
			b.err = err
			b.buf = nil
			return
		}
		b.cond.Broadcast() // room for blocked writers
	}
}

// Close flushes what is buffered (bounded by closeFlushTimeout), then
// closes the connection.
func (b *batchConn) Close() error {
	b.mu.Lock()
	b.closed = true
	b.cond.Broadcast()
	timer := time.AfterFunc(closeFlushTimeout+100*time.Millisecond, func() {
		// A flush stuck on a stale deadline: force it out.
		_ = b.Conn.SetWriteDeadline(time.Now())
	})
	for !b.done {
		b.cond.Wait()
	}
	b.mu.Unlock()
	timer.Stop()
	return b.Conn.Close()
}
