package sdp

import "testing"

// FuzzParse: Parse never panics, and whatever it accepts survives Marshal and a second Parse
// with the fields the platform acts on unchanged (Marshal writes PS for an m= line without
// payload types, so the encoding is compared only when there were some).
func FuzzParse(f *testing.F) {
	for _, s := range []string{hikvisionUDP, dahuaTCPPassive, univiewTCPActive, audioFirstDownload} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		_ = s.Encoding()
		back, err := Parse(s.Marshal())
		if err != nil {
			t.Fatalf("marshalled description does not parse: %v\n%q", err, s.Marshal())
		}
		if back.Port != s.Port || back.TCP != s.TCP || back.Setup != s.Setup || back.SSRC != s.SSRC ||
			back.Name != s.Name || back.Start != s.Start || back.End != s.End ||
			(len(s.Formats) > 0 && back.Encoding() != s.Encoding()) {
			t.Fatalf("round trip changed the session:\n%+v\n%+v", *s, *back)
		}
	})
}
