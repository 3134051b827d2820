package gb28181

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/vionet/vionet/internal/domain"
)

// defaultExpires is used when a REGISTER names no expiry.
const defaultExpires = 3600

// onRegister handles REGISTER: digest authentication against the password 4.4.1.1 issued,
// registration, refresh and unregistration (Expires: 0). The 200 carries a Date header, which
// GB/T 28181 devices use to set their clocks.
func (s *Server) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := time.Now()
	id := deviceIDOf(req)
	if !domain.ValidGBCode(id) {
		s.m.rejected.WithLabelValues("bad_device_id").Inc()
		s.respond(tx, req, 400, "Bad Request: From user is not a 20-digit GB/T 28181 code")
		return
	}
	password, err := s.passwords.get(ctx, id, now, s.sink.SIPPassword)
	if errors.Is(err, domain.ErrNotFound) {
		s.m.registers.WithLabelValues("unknown_device").Inc()
		s.respond(tx, req, 403, "Forbidden")
		return
	}
	if err != nil {
		s.log.Error("register: password lookup", "deviceSn", id, "err", err)
		s.respond(tx, req, 500, "Server Internal Error")
		return
	}

	h := req.GetHeader("Authorization")
	if h == nil {
		s.challenge(tx, req, now, false)
		return
	}
	cred, err := digest.ParseCredentials(h.Value())
	if err != nil || !strings.EqualFold(cred.Username, id) && cred.Username != id {
		s.m.registers.WithLabelValues("bad_auth").Inc()
		s.respond(tx, req, 403, "Forbidden")
		return
	}
	if !s.nonces.valid(cred.Nonce, now) {
		s.challenge(tx, req, now, true)
		return
	}
	if !verifyDigest(cred, "REGISTER", password) {
		s.m.registers.WithLabelValues("bad_auth").Inc()
		s.respond(tx, req, 403, "Forbidden")
		return
	}

	expires := registerExpires(req)
	if expires == 0 {
		s.sessions.remove(id)
		s.m.registers.WithLabelValues("unregistered").Inc()
		s.respond(tx, req, 200, "OK", dateHeader(now, s.cfg.Location))
		if err := s.sink.DeviceOffline(ctx, id, "unregistered"); err != nil {
			s.log.Warn("unregister", "deviceSn", id, "err", err)
		}
		return
	}
	if expires < s.cfg.MinExpires {
		expires = s.cfg.MinExpires
	}
	prev, known := s.sessions.get(id)
	reg := domain.Registration{
		DeviceSn: id, Transport: strings.ToUpper(req.Transport()), Expires: now.Add(time.Duration(expires) * time.Second),
		Version: gbVersion(req), Charset: "GB2312",
	}
	reg.IP, reg.Port = sourceAddr(req)
	if known && prev.reg.Charset != "" {
		reg.Charset = prev.reg.Charset
	}
	sess := &session{reg: reg, lastSeen: now, online: true}
	if ip := net.ParseIP(req.Recipient.Host); ip != nil && !ip.IsUnspecified() {
		sess.serverHost = ip.String()
	}
	s.sessions.put(sess)
	s.m.registers.WithLabelValues("ok").Inc()
	s.respond(tx, req, 200, "OK", dateHeader(now, s.cfg.Location), sip.NewHeader("Expires", strconv.Itoa(expires)))

	if err := s.sink.DeviceOnline(ctx, reg); err != nil {
		s.log.Error("register: recording online", "deviceSn", id, "err", err)
	}
	// A new registration (not a refresh from the same place) learns the device afresh.
	if !known || !prev.online || prev.reg.IP != reg.IP || prev.reg.Port != reg.Port {
		s.log.Info("device registered", "deviceSn", id, "addr", net.JoinHostPort(reg.IP, strconv.Itoa(reg.Port)),
			"transport", reg.Transport, "version", reg.Version)
		go s.learn(id)
	}
}

func (s *Server) challenge(tx sip.ServerTransaction, req *sip.Request, now time.Time, stale bool) {
	chal := s.nonces.challenge(s.cfg.Realm, now)
	chal.Stale = stale
	s.m.registers.WithLabelValues("challenged").Inc()
	s.respond(tx, req, 401, "Unauthorized", sip.NewHeader("WWW-Authenticate", chal.String()))
}

// learn asks a newly registered device who it is and what channels it has.
func (s *Server) learn(id string) {
	s.learning <- struct{}{}
	defer func() { <-s.learning }()
	ctx, cancel := context.WithTimeout(context.Background(), 3*s.cfg.RequestTimeout)
	defer cancel()
	if err := s.QueryDeviceInfo(ctx, id); err != nil {
		s.log.Warn("device info query", "deviceSn", id, "err", err)
	}
	if err := s.QueryCatalog(ctx, id); err != nil {
		s.log.Warn("catalog query", "deviceSn", id, "err", err)
	}
	s.subscribeAll(ctx, id)
}

// deviceIDOf is the device code a request comes from: the From URI's user.
func deviceIDOf(req *sip.Request) string {
	if f := req.From(); f != nil {
		return f.Address.User
	}
	return ""
}

func registerExpires(req *sip.Request) int {
	if h := req.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n >= 0 {
			return n
		}
	}
	if c := req.Contact(); c != nil {
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				return n
			}
		}
	}
	return defaultExpires
}

// gbVersion reads X-GB-Ver: 3.0 (or later) is GB/T 28181-2022, anything else 2016.
func gbVersion(req *sip.Request) string {
	if h := req.GetHeader("X-GB-Ver"); h != nil {
		if v, err := strconv.ParseFloat(strings.TrimSpace(h.Value()), 64); err == nil && v >= 3 {
			return "2022"
		}
	}
	return "2016"
}

func sourceAddr(req *sip.Request) (string, int) {
	host, port, err := net.SplitHostPort(req.Source())
	if err != nil {
		return req.Source(), 0
	}
	n, _ := strconv.Atoi(port)
	return host, n
}

// dateHeader is the GB/T 28181 time-sync Date: local time, ISO format with milliseconds.
func dateHeader(now time.Time, loc *time.Location) sip.Header {
	return sip.NewHeader("Date", now.In(loc).Format("2006-01-02T15:04:05.000"))
}
