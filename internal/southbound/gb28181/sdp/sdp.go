// Package sdp builds and parses the session descriptions GB/T 28181 (2016 and 2022, §9.2 and
// Appendix G) carries in INVITE offers and their 200 answers for live view (s=Play), playback
// (s=Playback) and download (s=Download).
//
// GB/T 28181 SDP is RFC 4566 with additions the RFC does not know: y= (the 10-digit SSRC the
// media must carry), f= (the media description), u= (the recording's channel), and attributes
// a=downloadspeed, a=filesize, a=streamnumber (2022) or the vendors' a=streamprofile for the
// sub stream, plus RFC 4145/4571 a=setup and a=connection for RTP over TCP. Devices write all
// of this loosely — bare \n line ends, c= at session or media level, y= with fewer digits or
// a different SSRC than offered — so Parse is tolerant: it needs one m= line and reads what it
// recognises, leaving the judgement of missing pieces to the caller.
package sdp

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Session names (s=).
const (
	Play     = "Play"
	Playback = "Playback"
	Download = "Download"
	Talk     = "Talk" // voice broadcast, device to platform; parsed, never offered here
)

// Setup values (RFC 4145 a=setup): who opens the TCP connection. "active" dials, "passive"
// listens.
const (
	SetupActive  = "active"
	SetupPassive = "passive"
	SetupActPass = "actpass"
)

// Directions (a=sendonly and friends).
const (
	RecvOnly = "recvonly"
	SendOnly = "sendonly"
	SendRecv = "sendrecv"
	Inactive = "inactive"
)

// The payload types GB/T 28181 offers for video (Appendix G): PS is the one devices send.
const (
	PayloadPS    = 96
	PayloadMPEG4 = 97
	PayloadH264  = 98
	PayloadH265  = 99 // not in the standard's examples; some 2022 devices answer it
)

// MaxSize is the largest description Parse reads; GB/T 28181 answers are a few hundred bytes.
const MaxSize = 16 << 10

// ErrNoMedia is returned by Parse for a description without an m= line.
var ErrNoMedia = errors.New("sdp: no m= line")

// Session is one GB/T 28181 session description: the platform's offer or the device's answer.
// Only the first m= line (the first video one when there is one) is kept: GB/T 28181 sessions
// carry one media stream.
type Session struct {
	// Origin is the o= username: the platform's ID in an offer, the device's or channel's in
	// an answer.
	Origin string
	// Name is s=: Play, Playback, Download (or Talk).
	Name string
	// URI is u=, "channelID:0" for Playback and Download.
	URI string
	// IP is the connection address (c=, media level over session level; the o= address when
	// neither is present).
	IP string
	// Start and End are t= as written: 0 0 for live, Unix seconds for playback/download.
	Start, End int64

	// Media is the m= media type ("video", or "audio" for Talk).
	Media string
	// Port is the m= port: where the sender sends (UDP), where the answerer listens (TCP
	// passive), or a placeholder (TCP active).
	Port int
	// TCP is true for TCP/RTP/AVP (RTP over TCP, RFC 4571 framing).
	TCP bool
	// Formats are the m= payload types in the order written.
	Formats []int
	// RTPMap maps a payload type to its a=rtpmap encoding, e.g. 96 → "PS/90000".
	RTPMap map[int]string
	// Direction is recvonly, sendonly, sendrecv or inactive ("" when absent).
	Direction string
	// Setup (a=setup) and Connection (a=connection: new or existing) are for TCP.
	Setup      string
	Connection string

	// SSRC is y=, as written (GB/T 28181 wants 10 decimal digits).
	SSRC string
	// F is f=, the media description (v/codec/resolution/fps/rate-type/rate a/...), as written.
	F string
	// DownloadSpeed is a=downloadspeed (Download), 0 when absent.
	DownloadSpeed float64
	// FileSize is a=filesize (a device's Download answer), 0 when absent.
	FileSize int64
	// StreamNumber is a=streamnumber (2022) or a=streamprofile (common vendor spelling):
	// 0 main stream, 1 sub stream, 2 third stream.
	StreamNumber int
}

// Marshal writes s in the line order GB/T 28181 devices expect (session lines, the media
// line and its attributes, then y= and f=), with \r\n line ends.
func (s *Session) Marshal() []byte {
	var b strings.Builder
	line := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}
	line("v=0")
	origin := s.Origin
	if origin == "" {
		origin = "-"
	}
	addrType := "IP4"
	if strings.Contains(s.IP, ":") {
		addrType = "IP6"
	}
	line("o=%s 0 0 IN %s %s", origin, addrType, s.IP)
	line("s=%s", s.Name)
	if s.URI != "" {
		line("u=%s", s.URI)
	}
	line("c=IN %s %s", addrType, s.IP)
	line("t=%d %d", s.Start, s.End)
	media := s.Media
	if media == "" {
		media = "video"
	}
	proto := "RTP/AVP"
	if s.TCP {
		proto = "TCP/RTP/AVP"
	}
	formats := s.Formats
	if len(formats) == 0 {
		formats = []int{PayloadPS}
	}
	var m strings.Builder
	for _, f := range formats {
		m.WriteString(" " + strconv.Itoa(f))
	}
	line("m=%s %d %s%s", media, s.Port, proto, m.String())
	if s.Direction != "" {
		line("a=%s", s.Direction)
	}
	for _, pt := range rtpmapOrder(formats, s.RTPMap) {
		line("a=rtpmap:%d %s", pt, s.RTPMap[pt])
	}
	if s.Setup != "" {
		line("a=setup:%s", s.Setup)
	}
	if s.Connection != "" {
		line("a=connection:%s", s.Connection)
	}
	if s.DownloadSpeed > 0 {
		line("a=downloadspeed:%s", strconv.FormatFloat(s.DownloadSpeed, 'f', -1, 64))
	}
	if s.FileSize > 0 {
		line("a=filesize:%d", s.FileSize)
	}
	if s.StreamNumber > 0 {
		// 2022 spelling and the vendors' (Hikvision, Dahua) spelling: a device reads the one it
		// knows and ignores the other.
		line("a=streamnumber:%d", s.StreamNumber)
		line("a=streamprofile:%d", s.StreamNumber)
	}
	if s.SSRC != "" {
		line("y=%s", s.SSRC)
	}
	if s.F != "" {
		line("f=%s", s.F)
	}
	return []byte(b.String())
}

// rtpmapOrder lists the mapped payload types: those of the m= line in its order, then any
// others ascending.
func rtpmapOrder(formats []int, m map[int]string) []int {
	var out []int
	for _, pt := range formats {
		if _, ok := m[pt]; ok && !slices.Contains(out, pt) {
			out = append(out, pt)
		}
	}
	var rest []int
	for pt := range m {
		if !slices.Contains(out, pt) {
			rest = append(rest, pt)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// Parse reads a session description. Lines may end in \r\n or \n; unknown lines and
// attributes are ignored, and so are malformed values of optional ones. It fails only for
// input that is too large, has no m= line, or whose m= line has no valid port.
func Parse(b []byte) (*Session, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("sdp: description of %d bytes is larger than %d", len(b), MaxSize)
	}
	s := &Session{}
	var (
		sessionIP, mediaIP, originIP string
		inMedia, haveMedia, skip     bool
		mLine                        string
	)
	for raw := range strings.SplitSeq(string(b), "\n") {
		l := strings.TrimSpace(raw)
		if len(l) < 2 || l[1] != '=' {
			continue
		}
		key, val := l[0], strings.TrimSpace(l[2:])
		if key == 'm' {
			media, _, _ := strings.Cut(val, " ")
			// Keep the first m= line, or the first video one after a non-video first.
			if !haveMedia || (s.Media != "video" && media == "video") {
				mLine, haveMedia, skip = val, true, false
				s.Media = media
				s.Formats, s.RTPMap, s.Direction, s.Setup, s.Connection = nil, nil, "", "", ""
				mediaIP = ""
			} else {
				skip = true
			}
			inMedia = true
			continue
		}
		if inMedia && skip && key != 'y' && key != 'f' {
			continue // attributes of an m= line that is not ours
		}
		switch key {
		case 'o':
			f := strings.Fields(val)
			if len(f) > 0 {
				s.Origin = f[0]
			}
			if len(f) >= 6 {
				originIP = f[5]
			}
		case 's':
			s.Name = val
		case 'u':
			s.URI = val
		case 'c':
			if f := strings.Fields(val); len(f) >= 3 {
				ip, _, _ := strings.Cut(f[2], "/") // multicast TTL
				if inMedia {
					mediaIP = ip
				} else {
					sessionIP = ip
				}
			}
		case 't':
			if f := strings.Fields(val); len(f) >= 2 {
				start, err1 := strconv.ParseInt(f[0], 10, 64)
				end, err2 := strconv.ParseInt(f[1], 10, 64)
				if err1 == nil && err2 == nil {
					s.Start, s.End = start, end
				}
			}
		case 'y':
			s.SSRC = val
		case 'f':
			s.F = val
		case 'a':
			s.attribute(val)
		}
	}
	if !haveMedia {
		return nil, ErrNoMedia
	}
	if err := s.media(mLine); err != nil {
		return nil, err
	}
	s.IP = firstNonEmpty(mediaIP, sessionIP, originIP)
	return s, nil
}

// media reads an m= line: "video 15060 RTP/AVP 96 98" (port may be "port/count").
func (s *Session) media(v string) error {
	f := strings.Fields(v)
	if len(f) < 3 {
		return fmt.Errorf("sdp: m= line %q has no port and protocol", truncate(v))
	}
	portStr, _, _ := strings.Cut(f[1], "/")
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return fmt.Errorf("sdp: m= line %q: bad port", truncate(v))
	}
	s.Port = port
	proto := strings.ToUpper(f[2])
	// TCP/RTP/AVP is the GB/T 28181 spelling; RTP/AVP/TCP an older one some devices use.
	s.TCP = strings.HasPrefix(proto, "TCP/") || strings.HasSuffix(proto, "/TCP")
	for _, x := range f[3:] {
		if pt, err := strconv.Atoi(x); err == nil && pt >= 0 && pt <= 127 {
			s.Formats = append(s.Formats, pt)
		}
	}
	return nil
}

// attribute reads one a= value.
func (s *Session) attribute(v string) {
	name, val, _ := strings.Cut(v, ":")
	name, val = strings.ToLower(strings.TrimSpace(name)), strings.TrimSpace(val)
	switch name {
	case RecvOnly, SendOnly, SendRecv, Inactive:
		s.Direction = name
	case "rtpmap":
		ptStr, enc, ok := strings.Cut(val, " ")
		pt, err := strconv.Atoi(ptStr)
		enc = strings.TrimSpace(enc)
		if !ok || err != nil || pt < 0 || pt > 127 || enc == "" {
			return
		}
		if s.RTPMap == nil {
			s.RTPMap = map[int]string{}
		}
		s.RTPMap[pt] = enc
	case "setup":
		s.Setup = strings.ToLower(val)
	case "connection":
		s.Connection = strings.ToLower(val)
	case "downloadspeed":
		if x, err := strconv.ParseFloat(val, 64); err == nil && x > 0 && x < 1e6 {
			s.DownloadSpeed = x
		}
	case "filesize":
		if x, err := strconv.ParseInt(val, 10, 64); err == nil && x > 0 {
			s.FileSize = x
		}
	case "streamnumber", "streamprofile", "stream":
		if x, err := strconv.Atoi(val); err == nil && x >= 0 && x < 16 {
			s.StreamNumber = x
		}
	}
}

// Encoding returns the encoding name of the first m= payload type that has an a=rtpmap
// (e.g. "PS"), or the static name of a well-known GB payload type without one; "" if none.
func (s *Session) Encoding() string {
	for _, pt := range s.Formats {
		if enc, ok := s.RTPMap[pt]; ok {
			name, _, _ := strings.Cut(enc, "/")
			return strings.ToUpper(name)
		}
	}
	if len(s.Formats) > 0 {
		switch s.Formats[0] {
		case PayloadPS:
			return "PS"
		case PayloadMPEG4:
			return "MPEG4"
		case PayloadH264:
			return "H264"
		}
	}
	return ""
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}
