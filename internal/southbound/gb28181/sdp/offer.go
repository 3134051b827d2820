package sdp

import (
	"fmt"
	"net"
	"strconv"
	"time"
)

// Offer is what the platform asks a device for in an INVITE.
type Offer struct {
	// Name is Play, Playback or Download.
	Name string
	// PlatformID is the platform's SIP ID (o= username).
	PlatformID string
	// ChannelID is the channel whose recording is asked for (u=ChannelID:0 for Playback and
	// Download).
	ChannelID string
	// IP and Port are where the platform receives (UDP, TCP passive), or the platform's
	// address and a placeholder port (TCP active, where the platform dials the device).
	IP   string
	Port int
	// TCP asks for RTP over TCP; Setup then says who connects: SetupPassive when the
	// platform listens (the device dials), SetupActive when the platform dials.
	TCP   bool
	Setup string
	// Start and End bound a Playback or Download (t= in Unix seconds); ignored for Play.
	Start, End time.Time
	// SSRC is y=, 10 digits (see NewSSRC).
	SSRC string
	// StreamNumber is 0 for the main stream, 1 for the sub stream (a=streamnumber and
	// a=streamprofile).
	StreamNumber int
	// DownloadSpeed is the Download speed multiplier (a=downloadspeed), 0 for none.
	DownloadSpeed float64
}

// Build checks the offer and returns its session description: PS, MPEG-4 and H.264 over
// RTP/AVP (or TCP/RTP/AVP with a=setup and a=connection:new), recvonly, with y=.
func (o Offer) Build() (*Session, error) {
	switch o.Name {
	case Play, Playback, Download:
	default:
		return nil, fmt.Errorf("sdp: session name %q: want Play, Playback or Download", o.Name)
	}
	if net.ParseIP(o.IP) == nil {
		return nil, fmt.Errorf("sdp: receive address %q is not an IP address", o.IP)
	}
	if o.Port < 0 || o.Port > 65535 || (o.Port == 0 && !(o.TCP && o.Setup == SetupActive)) {
		return nil, fmt.Errorf("sdp: receive port %d", o.Port)
	}
	if !ValidSSRC(o.SSRC) {
		return nil, fmt.Errorf("sdp: SSRC %q is not 10 digits", o.SSRC)
	}
	if o.StreamNumber < 0 || o.StreamNumber > 2 {
		return nil, fmt.Errorf("sdp: stream number %d: want 0 (main), 1 (sub) or 2 (third)", o.StreamNumber)
	}
	s := &Session{
		Origin: o.PlatformID, Name: o.Name, IP: o.IP, Port: o.Port, TCP: o.TCP, Media: "video",
		Formats:   []int{PayloadPS, PayloadMPEG4, PayloadH264},
		RTPMap:    map[int]string{PayloadPS: "PS/90000", PayloadMPEG4: "MPEG4/90000", PayloadH264: "H264/90000"},
		Direction: RecvOnly, SSRC: o.SSRC, StreamNumber: o.StreamNumber,
	}
	if o.TCP {
		if o.Setup != SetupActive && o.Setup != SetupPassive {
			return nil, fmt.Errorf("sdp: TCP setup %q: want active or passive", o.Setup)
		}
		if s.Port == 0 {
			s.Port = 9 // RFC 4145: the active side's port is irrelevant, 9 by convention
		}
		s.Setup, s.Connection = o.Setup, "new"
	}
	if o.Name != Play {
		if o.ChannelID == "" {
			return nil, fmt.Errorf("sdp: %s needs the channel ID for u=", o.Name)
		}
		if !o.End.After(o.Start) || o.Start.Unix() <= 0 {
			return nil, fmt.Errorf("sdp: %s needs a start before its end", o.Name)
		}
		s.URI = o.ChannelID + ":0"
		s.Start, s.End = o.Start.Unix(), o.End.Unix()
	}
	if o.Name == Download {
		s.DownloadSpeed = o.DownloadSpeed
		if s.DownloadSpeed <= 0 {
			s.DownloadSpeed = 1
		}
	}
	return s, nil
}

// NewSSRC makes a GB/T 28181 SSRC (§9.2.1 note): "0" for live or "1" for history, then
// digits 4–8 of the 10-digit SIP domain, then serial as 4 digits (mod 10000).
func NewSSRC(history bool, domain string, serial int) string {
	first := "0"
	if history {
		first = "1"
	}
	mid := "00000"
	if len(domain) >= 8 && allDigits(domain[3:8]) {
		mid = domain[3:8]
	}
	serial %= 10000
	if serial < 0 {
		serial += 10000
	}
	return fmt.Sprintf("%s%s%04d", first, mid, serial)
}

// ValidSSRC reports whether s is 10 decimal digits that fit an RTP SSRC.
func ValidSSRC(s string) bool {
	if len(s) != 10 || !allDigits(s) {
		return false
	}
	_, err := SSRCValue(s)
	return err == nil
}

// SSRCValue is the RTP header SSRC of a y= value: its decimal number.
func SSRCValue(s string) (uint32, error) {
	if s == "" || len(s) > 10 || !allDigits(s) {
		return 0, fmt.Errorf("sdp: SSRC %q is not up to 10 decimal digits", s)
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("sdp: SSRC %q does not fit 32 bits", s)
	}
	return uint32(v), nil
}

// FormatSSRC writes an RTP SSRC as a 10-digit y= value.
func FormatSSRC(v uint32) string { return fmt.Sprintf("%010d", v) }

func allDigits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
