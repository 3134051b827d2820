package gb28181

import (
	"bytes"
	"errors"
	"net"

	"github.com/emiago/sipgo/sip"
)

// errMalformed drops a message that is not SIP before sipgo parses it.
var errMalformed = errors.New("malformed SIP message")

// requiredHeaders are the RFC 3261 8.1.1 headers every request needs; checked by their
// full and compact names.
var requiredHeaders = [][2]string{{"via", "v"}, {"from", "f"}, {"to", "t"}, {"call-id", "i"}, {"cseq", ""}}

// readFilter screens raw datagrams and stream reads before sipgo parses them: a request
// that is not even shaped like SIP is counted and, over UDP, answered 400 with whatever
// transaction headers could be salvaged (RFC 3261 8.2.2 asks for a 400 where possible).
// The checks are cheap; sipgo's full parser still has the last word.
func (s *Server) readFilter(udp net.PacketConn) sip.TransportReadFilter {
	return func(info sip.TransportReadProps, data []byte) ([]byte, error) {
		if len(bytes.TrimSpace(data)) == 0 {
			return data, nil // keepalive CRLFs
		}
		if reason := malformed(data); reason != "" {
			s.m.rejected.WithLabelValues("malformed_sip").Inc()
			if info.Transport == "UDP" && udp != nil && info.RemoteAddr != nil && isRequest(data) {
				_, _ = udp.WriteTo(badRequest(data, reason), info.RemoteAddr)
			}
			return nil, errMalformed
		}
		return data, nil
	}
}

func isRequest(data []byte) bool { return !bytes.HasPrefix(data, []byte("SIP/2.0")) }

// malformed returns why data is not a SIP message, or "" when it looks like one.
func malformed(data []byte) string {
	end := bytes.Index(data, []byte("\r\n"))
	if end < 0 {
		return "no start line"
	}
	start := data[:end]
	if !bytes.HasPrefix(start, []byte("SIP/2.0 ")) && !bytes.HasSuffix(start, []byte(" SIP/2.0")) {
		return "bad start line"
	}
	head, _, found := bytes.Cut(data, []byte("\r\n\r\n"))
	if !found {
		return "headers not terminated"
	}
	have := map[string]bool{}
	for _, line := range bytes.Split(head, []byte("\r\n"))[1:] {
		name, _, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			if len(line) > 0 && line[0] != ' ' && line[0] != '\t' {
				return "header without colon"
			}
			continue
		}
		have[string(bytes.ToLower(bytes.TrimSpace(name)))] = true
	}
	for _, h := range requiredHeaders {
		if !have[h[0]] && (h[1] == "" || !have[h[1]]) {
			return "missing " + h[0]
		}
	}
	return ""
}

// badRequest builds a 400 echoing the transaction headers found in data.
func badRequest(data []byte, reason string) []byte {
	var b bytes.Buffer
	b.WriteString("SIP/2.0 400 Bad Request (" + reason + ")\r\n")
	head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	for _, line := range bytes.Split(head, []byte("\r\n"))[1:] {
		name, _, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		switch string(bytes.ToLower(bytes.TrimSpace(name))) {
		case "via", "v", "from", "f", "to", "t", "call-id", "i", "cseq":
			b.Write(line)
			b.WriteString("\r\n")
		}
	}
	b.WriteString("Content-Length: 0\r\n\r\n")
	return b.Bytes()
}
