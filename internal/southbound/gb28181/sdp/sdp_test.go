package sdp

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// Answers as GB/T 28181 devices write them (hand-written after the shapes seen in the field:
// Hikvision-like UDP, Dahua-like TCP with f=, bare \n line ends, media-level c=, an SSRC
// other than the one offered, an audio m= before the video one, a Download with filesize).
const (
	hikvisionUDP = "v=0\r\n" +
		"o=34020000001320000001 0 0 IN IP4 192.168.1.64\r\n" +
		"s=Play\r\n" +
		"c=IN IP4 192.168.1.64\r\n" +
		"t=0 0\r\n" +
		"m=video 15060 RTP/AVP 96\r\n" +
		"a=sendonly\r\n" +
		"a=rtpmap:96 PS/90000\r\n" +
		"a=filesize:0\r\n" +
		"y=0100000001\r\n"

	dahuaTCPPassive = "v=0\n" +
		"o=34020000001320000002 0 0 IN IP4 10.0.0.108\n" +
		"s=Play\n" +
		"c=IN IP4 10.0.0.108\n" +
		"t=0 0\n" +
		"m=video 40002 TCP/RTP/AVP 96\n" +
		"a=setup:passive\n" +
		"a=connection:new\n" +
		"a=sendonly\n" +
		"a=rtpmap:96 PS/90000\n" +
		"a=username:34020000001320000002\n" +
		"a=password:12345678\n" +
		"y=0200000077\n" +
		"f=v/2/5/25/1/4096a/1/8/1\n"

	univiewTCPActive = "v=0\r\n" +
		"o=34020000001310000003 0 0 IN IP4 172.16.2.20\r\n" +
		"s=Playback\r\n" +
		"u=34020000001310000003:0\r\n" +
		"t=1700000000 1700003600\r\n" +
		"m=video 9 TCP/RTP/AVP 96\r\n" +
		"c=IN IP4 172.16.2.21\r\n" +
		"a=rtpmap:96 PS/90000\r\n" +
		"a=SETUP:Active\r\n" +
		"a=connection:new\r\n" +
		"a=sendonly\r\n" +
		"y=1000000005\r\n" +
		"f=\r\n"

	audioFirstDownload = "v=0\n" +
		"o=- 0 0 IN IP4 192.168.0.9\n" +
		"s=Download\n" +
		"u=34020000001310000004:0\n" +
		"c=IN IP4 192.168.0.9\n" +
		"t=1700000000 1700000600\n" +
		"m=audio 16000 RTP/AVP 8\n" +
		"a=rtpmap:8 PCMA/8000\n" +
		"a=sendonly\n" +
		"m=video 16002/2 RTP/AVP 98 96\n" +
		"a=rtpmap:96 PS/90000\n" +
		"a=rtpmap:98 H264/90000\n" +
		"a=sendonly\n" +
		"a=filesize:73400320\n" +
		"a=downloadspeed:4\n" +
		"y=1000000009\n"
)

func TestParseDeviceAnswers(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       Session
	}{
		{"hikvision UDP", hikvisionUDP, Session{Origin: "34020000001320000001", Name: Play, IP: "192.168.1.64",
			Media: "video", Port: 15060, Formats: []int{96}, RTPMap: map[int]string{96: "PS/90000"},
			Direction: SendOnly, SSRC: "0100000001"}},
		{"dahua TCP passive", dahuaTCPPassive, Session{Origin: "34020000001320000002", Name: Play, IP: "10.0.0.108",
			Media: "video", Port: 40002, TCP: true, Formats: []int{96}, RTPMap: map[int]string{96: "PS/90000"},
			Direction: SendOnly, Setup: SetupPassive, Connection: "new", SSRC: "0200000077", F: "v/2/5/25/1/4096a/1/8/1"}},
		{"uniview TCP active playback", univiewTCPActive, Session{Origin: "34020000001310000003", Name: Playback,
			URI: "34020000001310000003:0", IP: "172.16.2.21", Start: 1700000000, End: 1700003600, Media: "video", Port: 9,
			TCP: true, Formats: []int{96}, RTPMap: map[int]string{96: "PS/90000"}, Direction: SendOnly,
			Setup: SetupActive, Connection: "new", SSRC: "1000000005"}},
		{"audio first, download", audioFirstDownload, Session{Origin: "-", Name: Download, URI: "34020000001310000004:0",
			IP: "192.168.0.9", Start: 1700000000, End: 1700000600, Media: "video", Port: 16002, Formats: []int{98, 96},
			RTPMap: map[int]string{96: "PS/90000", 98: "H264/90000"}, Direction: SendOnly, SSRC: "1000000009",
			FileSize: 73400320, DownloadSpeed: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.text))
			if err != nil {
				t.Fatal(err)
			}
			if !equal(got, &tc.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tc.want)
			}
		})
	}
	s, _ := Parse([]byte(audioFirstDownload))
	if s.Encoding() != "H264" {
		t.Errorf("encoding %q, want the first mapped payload type's (H264)", s.Encoding())
	}
	s, _ = Parse([]byte(hikvisionUDP))
	if s.Encoding() != "PS" {
		t.Errorf("encoding %q", s.Encoding())
	}
}

func TestParseFailures(t *testing.T) {
	for _, bad := range []string{"", "v=0\r\ns=Play\r\n", "m=video\n", "m=video x RTP/AVP 96\n",
		"m=video 70000 RTP/AVP 96\n", strings.Repeat("a=x\n", MaxSize)} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%.40q parsed", bad)
		}
	}
	if _, err := Parse([]byte("v=0\n")); !errors.Is(err, ErrNoMedia) {
		t.Errorf("no m=: %v", err)
	}
}

func TestOffers(t *testing.T) {
	start := time.Unix(1700000000, 0)
	for _, tc := range []struct {
		name  string
		offer Offer
		want  string
	}{
		{"play UDP", Offer{Name: Play, PlatformID: "34020000002000000001", IP: "10.1.1.1", Port: 30000, SSRC: "0200000001"},
			"v=0\r\no=34020000002000000001 0 0 IN IP4 10.1.1.1\r\ns=Play\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n" +
				"m=video 30000 RTP/AVP 96 97 98\r\na=recvonly\r\na=rtpmap:96 PS/90000\r\na=rtpmap:97 MPEG4/90000\r\n" +
				"a=rtpmap:98 H264/90000\r\ny=0200000001\r\n"},
		{"play TCP passive sub stream", Offer{Name: Play, PlatformID: "34020000002000000001", IP: "10.1.1.1", Port: 30000,
			TCP: true, Setup: SetupPassive, SSRC: "0200000002", StreamNumber: 1},
			"v=0\r\no=34020000002000000001 0 0 IN IP4 10.1.1.1\r\ns=Play\r\nc=IN IP4 10.1.1.1\r\nt=0 0\r\n" +
				"m=video 30000 TCP/RTP/AVP 96 97 98\r\na=recvonly\r\na=rtpmap:96 PS/90000\r\na=rtpmap:97 MPEG4/90000\r\n" +
				"a=rtpmap:98 H264/90000\r\na=setup:passive\r\na=connection:new\r\na=streamnumber:1\r\na=streamprofile:1\r\n" +
				"y=0200000002\r\n"},
		{"playback TCP active", Offer{Name: Playback, PlatformID: "34020000002000000001", ChannelID: "34020000001310000001",
			IP: "10.1.1.1", TCP: true, Setup: SetupActive, SSRC: "1200000003", Start: start, End: start.Add(time.Hour)},
			"v=0\r\no=34020000002000000001 0 0 IN IP4 10.1.1.1\r\ns=Playback\r\nu=34020000001310000001:0\r\n" +
				"c=IN IP4 10.1.1.1\r\nt=1700000000 1700003600\r\n" +
				"m=video 9 TCP/RTP/AVP 96 97 98\r\na=recvonly\r\na=rtpmap:96 PS/90000\r\na=rtpmap:97 MPEG4/90000\r\n" +
				"a=rtpmap:98 H264/90000\r\na=setup:active\r\na=connection:new\r\ny=1200000003\r\n"},
		{"download", Offer{Name: Download, PlatformID: "34020000002000000001", ChannelID: "34020000001310000001",
			IP: "10.1.1.1", Port: 30002, SSRC: "1200000004", Start: start, End: start.Add(time.Hour), DownloadSpeed: 4},
			"v=0\r\no=34020000002000000001 0 0 IN IP4 10.1.1.1\r\ns=Download\r\nu=34020000001310000001:0\r\n" +
				"c=IN IP4 10.1.1.1\r\nt=1700000000 1700003600\r\n" +
				"m=video 30002 RTP/AVP 96 97 98\r\na=recvonly\r\na=rtpmap:96 PS/90000\r\na=rtpmap:97 MPEG4/90000\r\n" +
				"a=rtpmap:98 H264/90000\r\na=downloadspeed:4\r\ny=1200000004\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.offer.Build()
			if err != nil {
				t.Fatal(err)
			}
			if got := string(s.Marshal()); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
			back, err := Parse(s.Marshal())
			if err != nil || !equal(back, s) {
				t.Errorf("round trip: %v\n%+v\n%+v", err, back, s)
			}
		})
	}
	for _, bad := range []Offer{
		{Name: "Live", IP: "10.1.1.1", Port: 1, SSRC: "0200000001"},
		{Name: Play, IP: "camera", Port: 1, SSRC: "0200000001"},
		{Name: Play, IP: "10.1.1.1", Port: 0, SSRC: "0200000001"},
		{Name: Play, IP: "10.1.1.1", Port: 1, SSRC: "123"},
		{Name: Play, IP: "10.1.1.1", Port: 1, SSRC: "9999999999"}, // > 32 bits
		{Name: Play, IP: "10.1.1.1", Port: 1, SSRC: "0200000001", TCP: true},
		{Name: Play, IP: "10.1.1.1", Port: 1, SSRC: "0200000001", StreamNumber: 3},
		{Name: Playback, IP: "10.1.1.1", Port: 1, SSRC: "1200000001", ChannelID: "x", Start: start, End: start},
		{Name: Playback, IP: "10.1.1.1", Port: 1, SSRC: "1200000001", Start: start, End: start.Add(time.Hour)},
	} {
		if _, err := bad.Build(); err == nil {
			t.Errorf("%+v built", bad)
		}
	}
}

func TestSSRC(t *testing.T) {
	if got := NewSSRC(false, "3402000000", 7); got != "0200000007" {
		t.Errorf("live SSRC %s", got)
	}
	if got := NewSSRC(true, "3402012345", 12345); got != "1201232345" {
		t.Errorf("history SSRC %s", got)
	}
	if got := NewSSRC(false, "34", -1); got != "0000009999" {
		t.Errorf("short domain SSRC %s", got)
	}
	if v, err := SSRCValue("0100000001"); err != nil || v != 100000001 {
		t.Errorf("value %d %v", v, err)
	}
	if FormatSSRC(100000001) != "0100000001" {
		t.Error(FormatSSRC(100000001))
	}
	for _, bad := range []string{"", "12345678901", "01000000x1", "4294967296"} {
		if _, err := SSRCValue(bad); err == nil {
			t.Errorf("%q has a value", bad)
		}
	}
}

// equal compares sessions, an empty and a nil payload list or map being the same.
func equal(a, b *Session) bool {
	x, y := *a, *b
	ok := slices.Equal(x.Formats, y.Formats) && maps.Equal(x.RTPMap, y.RTPMap)
	x.Formats, y.Formats, x.RTPMap, y.RTPMap = nil, nil, nil, nil
	return ok && reflect.DeepEqual(x, y)
}
