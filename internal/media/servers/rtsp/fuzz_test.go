package rtsp

import (
	"testing"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// FuzzPackets feeds arbitrary bytes as video access units (units come from
// the network through the hub) to the H264 and H265 packetizers: they must
// never panic and every packet must fit the RTP payload limit.
func FuzzPackets(f *testing.F) {
	for _, c := range []hub.Codec{hub.H264, hub.H265} {
		s := mediatest.Load(c)
		// Short prefixes keep the fuzzer fast; they still hold parameter
		// sets and slice headers.
		f.Add(uint8(c), s.Units[0].Data[:min(len(s.Units[0].Data), 300)])
		f.Add(uint8(c), s.Units[1].Data[:min(len(s.Units[1].Data), 300)])
	}
	f.Add(uint8(hub.H264), []byte{0, 0, 1})
	f.Add(uint8(hub.H265), []byte{0, 0, 0, 1, 0x26})
	tracks := map[hub.Codec]hub.Track{
		hub.H264: mediatest.Load(hub.H264).Track,
		hub.H265: mediatest.Load(hub.H265).Track,
	}
	f.Fuzz(func(t *testing.T, codec uint8, data []byte) {
		// A fresh packetizer per input keeps the target deterministic
		// (in-band parameter sets are learnt state).
		tr := tracks[hub.H264]
		if codec%2 == 1 {
			tr = tracks[hub.H265]
		}
		o, err := newTrackOut(tr, 96)
		if err != nil {
			t.Fatal(err)
		}
		pkts, err := o.packets(hub.Unit{Data: data, Keyframe: true})
		if err != nil {
			return
		}
		for _, p := range pkts {
			if len(p.Payload) == 0 || len(p.Payload) > 1450 {
				t.Fatalf("payload of %d bytes", len(p.Payload))
			}
		}
		o.applyParams()
	})
}
