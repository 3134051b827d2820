// Package rtsp is vionet's RTSP output server: it serves the paths of the
// media hub to RTSP players (VLC, ffmpeg, NVRs, other VMSs) over TCP
// (interleaved) and UDP, on top of gortsplib.
//
// # URLs and tokens
//
// A viewer URL is rtsp://HOST:PORT/<hub path>?token=T. The token must be a
// read token for exactly that hub path (token.Key.Verify); otherwise the
// request gets 401, is logged and counted (Stats.TokensRefused). DESCRIBE,
// SETUP and PLAY are all checked: clients build the SETUP URL from the
// Content-Base (which keeps the query, e.g. ffmpeg's
// ".../path?token=T/trackID=0") and PLAY on the base URL. A SETUP or PLAY
// without any token is accepted only on a connection or session that was
// already authorized for the same path, with an unexpired token. Expiry is
// checked when a session starts, not while it plays.
//
// A DESCRIBE for a path without publisher calls Options.Demand (which starts
// the device stream) and then waits up to Options.ReadWait for the
// publisher: a Demand error is answered 503, no publisher in time 404.
//
// # One shared stream per path
//
// A path being watched has one pathStream: one hub.Reader (the "feeder")
// turns each hub unit into RTP packets once (H264/H265 from Annex-B via
// rtph264/rtph265, with the parameter sets put in front of every keyframe
// that lacks them; AAC via RFC 3640; G.711 as PCMA/PCMU) and writes them to
// one gortsplib.ServerStream, which fans the packets out to every session of
// the path. Per reader the cost is only gortsplib's queue push and the
// socket write, which is what lets hundreds of viewers share one camera
// stream cheaply. The alternative, one hub.Reader and one RTP encoder per
// session, costs a packetization, a marshal and an allocation per packet per
// viewer, for no gain in a live stream where everyone gets the same packets.
// The shared stream outlives its last session by Options.Linger, so the
// DESCRIBE and SETUP connections of one client and quick reconnects reuse it,
// and ends (closing its sessions) when the publisher goes away. The hub
// therefore sees one reader per watched path, not one per RTSP viewer.
//
// # Late joiners start on a keyframe
//
// A shared stream sends every session the same live packets, so a session
// joining mid-GOP cannot be held back to "its" first keyframe. Instead the
// feeder keeps the RTP packets of the current GOP (since the last video
// keyframe; the hub hands a new reader its GOP cache, so this cache is full
// from the start). On a session's first PLAY, inside OnPlay and before
// gortsplib makes the session an active reader, the cached packets are
// queued to that session alone (ServerSession.WritePacketRTPWithNTP), with
// their original sequence numbers and timestamps, so the live packets that
// follow continue the same sequence. To leave no gap and no duplicate
// between the replay and the live packets, the feeder of that path does not
// write until gortsplib has activated the session, which it signals by
// calling OnResponse for the PLAY response (bounded by a 1 s timeout). The
// RTP-Info header of that response is rewritten to name the first replayed
// packet. The player so decodes from its first frame, at the price of
// starting up to one GOP behind live, the same choice the hub makes for all
// readers. A GOP longer than 3/4 of the session queue (1536 packets, about
// 4 s at 4 Mbit/s) is not cached, and its late joiners start live, the
// player waiting for the next keyframe. Over UDP the replay is a burst that a
// lossy link may partly drop; the player then recovers at the next keyframe.
//
// A session whose queue fills (slow client) drops packets, counted in
// Stats.WriteDrops and logged once per session; gortsplib closes a TCP
// session whose socket write times out.
//
// # Fewer system calls
//
// gortsplib writes each interleaved RTP packet with its own socket write;
// with hundreds of TCP readers those system calls were most of the server's
// CPU. The TCP listener therefore wraps every connection in a batchConn,
// whose Write only appends to a buffer that a per-connection goroutine
// flushes in one write, so a video frame leaves in one or two system calls.
// BenchmarkReaders (readers in a child process, server CPU by getrusage)
// measured 0.10 to 0.13 % of a core per reader of a 4 Mbit/s stream with 50
// to 400 readers (400 readers: 40 % of one core in all, no drops), against
// about 0.4 % per reader before.
package rtsp
