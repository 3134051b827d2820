package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// pusher is ffmpeg publishing the test file over RTMP in a loop at its real rate (-re).
// It reports how many bytes it has written (-progress total_size), so each measured window
// can show what the server was actually given.
type pusher struct {
	cmd  *exec.Cmd
	pid  int
	done chan struct{}
	err  error

	mu     sync.Mutex
	bytes  int64 // last total_size
	at     time.Time
	stderr bytes.Buffer
}

func startPusher(file, publishURL string) (*pusher, error) {
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "warning",
		"-re", "-stream_loop", "-1", "-i", file, "-c", "copy", "-f", "flv",
		"-progress", "pipe:1", "-stats_period", "0.5", publishURL)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &pusher{cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = &lockedWriter{mu: &p.mu, w: &p.stderr}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start ffmpeg: %w", err)
	}
	p.pid = cmd.Process.Pid
	go p.readProgress(out)
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *pusher) readProgress(r io.Reader) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "total_size="); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				p.mu.Lock()
				p.bytes, p.at = n, time.Now()
				p.mu.Unlock()
			}
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

// written is the byte count of the last progress report and when it came.
func (p *pusher) written() (int64, time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bytes, p.at
}

func (p *pusher) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// failure describes why ffmpeg exited.
func (p *pusher) failure() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return fmt.Sprintf("ffmpeg exited: %v: %s", p.err, strings.TrimSpace(truncate(p.stderr.String(), 2000)))
}

func (p *pusher) stop() {
	if !p.alive() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// lockedWriter serialises writes to w under mu (ffmpeg's stderr is read while it runs).
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if lb, ok := l.w.(*bytes.Buffer); ok && lb.Len() > 64<<10 {
		return len(b), nil // enough to explain a failure
	}
	return l.w.Write(b)
}
