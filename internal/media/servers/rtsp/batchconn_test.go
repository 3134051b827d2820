package rtsp

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// tcpPair returns the server end (wrapped) and the client end of a real
// loopback TCP connection.
func tcpPair(t *testing.T) (*batchConn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	bl := batchListener{ln}
	ch := make(chan net.Conn, 1)
	go func() {
		c, err := bl.Accept()
		if err != nil {
			ch <- nil
			return
		}
		ch <- c
	}()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	srv := <-ch
	if srv == nil {
		t.Fatal("accept failed")
	}
	return srv.(*batchConn), client
}

func TestBatchConnKeepsOrderAndFlushesOnClose(t *testing.T) {
	srv, client := tcpPair(t)
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(client)
		got <- b
	}()
	var want bytes.Buffer
	for i := range 5000 {
		p := bytes.Repeat([]byte{byte(i)}, 1+i%1400)
		want.Write(p)
		if _, err := srv.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want.Bytes()) {
		t.Fatalf("received %d bytes, want %d (or content differs)", len(b), want.Len())
	}
	if _, err := srv.Write([]byte{1}); err == nil {
		t.Fatal("write after close succeeded")
	}
}

// A client that stops reading makes writes fail once the deadline passes,
// instead of blocking the session writer forever.
func TestBatchConnWriteDeadline(t *testing.T) {
	srv, _ := tcpPair(t)
	defer srv.Close()
	p := make([]byte, 64<<10)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		_ = srv.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
		if _, err := srv.Write(p); err != nil {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Fatalf("error = %v, want a timeout", err)
			}
			return
		}
	}
	t.Fatal("writes to a client that does not read never failed")
}
