// Package conf holds vionet's one configuration struct and loads it from, in increasing
// precedence: built-in defaults, an optional YAML file (--config / VIONET_CONFIG), VIONET_*
// environment variables, and command-line flags.
//
// Every setting has the same name in all three places: the flag --api-addr is the YAML key
// api-addr and the environment variable VIONET_API_ADDR.
package conf

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Config is every setting of `vionet serve` and of the operator subcommands.
type Config struct {
	Config  string `conf:"config" help:"YAML file with any of these settings (keys as the flag names)"`
	DataDir string `conf:"data-dir" help:"directory for the embedded SQLite database and local files"`
	DB      string `conf:"db" help:"database: empty for SQLite under data-dir, or a postgres:// URL"`

	APIAddr      string `conf:"api-addr" help:"listen address of the northbound REST API"`
	PublicHost   string `conf:"public-host" help:"host (IP or name) written into URLs and access info for urlNetworkType 2 (public)"`
	IntranetHost string `conf:"intranet-host" help:"host written into URLs and access info for urlNetworkType 1 (intranet)"`
	PublicHostV6 string `conf:"public-host-v6" help:"public IPv6 address reported in access-node info (optional)"`
	IntranetV6   string `conf:"intranet-host-v6" help:"intranet IPv6 address reported in access-node info (optional)"`

	SIPID     string `conf:"sip-id" help:"GB/T 28181 SIP server ID (20 digits)"`
	SIPDomain string `conf:"sip-domain" help:"GB/T 28181 SIP domain (10 digits); also the prefix of device codes vionet issues"`
	SIPAddr   string `conf:"sip-addr" help:"SIP listen address (UDP and TCP)"`

	SIPKeepaliveInterval time.Duration `conf:"sip-keepalive-interval" help:"keepalive period expected from GB/T 28181 devices"`
	SIPKeepaliveMisses   int           `conf:"sip-keepalive-misses" help:"missed keepalives after which a device is offline"`
	SIPRequestTimeout    time.Duration `conf:"sip-request-timeout" help:"how long a query to a device waits for its answer"`

	PlatformID     string   `conf:"platform-id" help:"ID of this access platform (4.4.1.1 platformId, 4.4.5.1)"`
	PlatformName   string   `conf:"platform-name" help:"name of this access platform"`
	PlatformVendor string   `conf:"platform-vendor" help:"vendor of this access platform"`
	AreaCodes      []string `conf:"area-codes" help:"comma-separated area-code prefixes this platform serves (4.4.5.1); empty = all"`

	RateLimit       float64       `conf:"rate-limit" help:"API requests per second allowed per appid (token bucket refill)"`
	RateBurst       int           `conf:"rate-burst" help:"API token bucket size per appid"`
	TimestampWindow time.Duration `conf:"timestamp-window" help:"how far a request timestamp may be from server time"`
	MaxBodyBytes    int64         `conf:"max-body-bytes" help:"largest accepted request body"`
	TenantCacheTTL  time.Duration `conf:"tenant-cache-ttl" help:"how long the API caches a tenant's keys (tenant CLI changes take effect within it)"`

	PushWorkers      int           `conf:"push-workers" help:"concurrent push deliveries"`
	PushTimeout      time.Duration `conf:"push-timeout" help:"timeout of one push attempt"`
	PushRetryInitial time.Duration `conf:"push-retry-initial" help:"first push retry delay (doubles per attempt)"`
	PushRetryMax     time.Duration `conf:"push-retry-max" help:"longest delay between push retries"`
	PushRetryFor     time.Duration `conf:"push-retry-for" help:"how long a push is retried before it is dead-lettered"`
	PushPoll         time.Duration `conf:"push-poll" help:"how often the push queue is polled when idle"`

	LogLevel        string        `conf:"log-level" help:"debug, info, warn or error"`
	ShutdownTimeout time.Duration `conf:"shutdown-timeout" help:"grace period for in-flight requests on SIGTERM"`
}

// Defaults returns the configuration that works on a laptop with nothing else set.
func Defaults() Config {
	return Config{
		DataDir:      "./data",
		APIAddr:      ":8081",
		PublicHost:   "127.0.0.1",
		IntranetHost: "127.0.0.1",
		SIPID:        "34020000002000000001",
		SIPDomain:    "3402000000",
		SIPAddr:      ":5060",

		SIPKeepaliveInterval: 60 * time.Second,
		SIPKeepaliveMisses:   3,
		SIPRequestTimeout:    10 * time.Second,
		PlatformID:           "1",
		PlatformName:         "vionet",
		PlatformVendor:       "vionet",
		RateLimit:            500,
		RateBurst:            1000,
		TimestampWindow:      15 * time.Minute,
		MaxBodyBytes:         1 << 20,
		TenantCacheTTL:       2 * time.Second,
		PushWorkers:          8,
		PushTimeout:          10 * time.Second,
		PushRetryInitial:     2 * time.Second,
		PushRetryMax:         10 * time.Minute,
		PushRetryFor:         24 * time.Hour,
		PushPoll:             time.Second,
		LogLevel:             "info",
		ShutdownTimeout:      10 * time.Second,
	}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	var errs []error
	if !isDigits(c.SIPID, 20) {
		errs = append(errs, fmt.Errorf("sip-id %q: must be 20 digits", c.SIPID))
	}
	if !isDigits(c.SIPDomain, 10) {
		errs = append(errs, fmt.Errorf("sip-domain %q: must be 10 digits", c.SIPDomain))
	}
	for _, a := range []struct{ name, v string }{{"api-addr", c.APIAddr}, {"sip-addr", c.SIPAddr}} {
		if _, _, err := net.SplitHostPort(a.v); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", a.name, a.v, err))
		}
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") &&
		!strings.HasPrefix(c.DB, "sqlite:") {
		errs = append(errs, fmt.Errorf("db %q: want postgres://… or sqlite:PATH", c.DB))
	}
	if c.RateLimit <= 0 || c.RateBurst <= 0 {
		errs = append(errs, errors.New("rate-limit and rate-burst must be positive"))
	}
	if c.PushWorkers <= 0 {
		errs = append(errs, errors.New("push-workers must be positive"))
	}
	return errors.Join(errs...)
}

// SIPPort is the port part of SIPAddr, as reported to devices (4.4.1.1 SIPServerPort).
func (c *Config) SIPPort() string {
	_, port, _ := net.SplitHostPort(c.SIPAddr)
	return port
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
