package sdk

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vionet/vionet/sdk/signing"
)

// ContentType is the Content-Type every request carries (表A-2).
const ContentType = "application/json;charset=utf-8"

// maxResponseBytes bounds how much of a response body the client reads.
const maxResponseBytes = 32 << 20

// EmptyBodyMD5Convention selects the MD5 value signed when a request has no parameters at all
// (a GET or DELETE without jsonObject, or a POST or PUT with an empty body). The spec does not
// say; real clients use one of two conventions.
type EmptyBodyMD5Convention int

const (
	// MD5OfEmpty signs MD5Hex(""), i.e. "d41d8cd98f00b204e9800998ecf8427e". This is the default.
	MD5OfEmpty EmptyBodyMD5Convention = iota
	// EmptyMD5 signs the empty string in place of the MD5.
	EmptyMD5
)

// Option configures a [Client].
type Option func(*Client)

// WithHTTPClient makes the client send its requests with hc instead of http.DefaultClient.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithEmptyBodyMD5Convention chooses what is signed in place of the body MD5 when a request
// has no parameters. The default is [MD5OfEmpty].
func WithEmptyBodyMD5Convention(conv EmptyBodyMD5Convention) Option {
	return func(c *Client) { c.emptyMD5 = conv }
}

// WithMsgSeq replaces the generator of the msgSeq header (the caller's trace id). By default
// every request gets 32 random hex digits.
func WithMsgSeq(gen func() string) Option {
	return func(c *Client) {
		if gen != nil {
			c.msgSeq = gen
		}
	}
}

// WithClock replaces the clock the timestamp header is taken from (time.Now by default).
func WithClock(now func() time.Time) Option {
	return func(c *Client) {
		if now != nil {
			c.now = now
		}
	}
}

// Client calls the northbound API on behalf of one application (appid and secretkey).
// It is safe for concurrent use.
type Client struct {
	baseURL   string
	appID     string
	secretKey string
	hc        *http.Client
	emptyMD5  EmptyBodyMD5Convention
	msgSeq    func() string
	now       func() time.Time
}

// New returns a client for the API at baseURL (for example "https://ip:port"; a trailing slash
// is ignored) that authenticates as appID with secretKey.
//
// The signed uri is the endpoint path given to [Client.Do] (for example
// "/cmiot/v2/api/device"), as in the spec's Java sample; a path prefix in baseURL is sent but
// not signed.
func New(baseURL, appID, secretKey string, opts ...Option) *Client {
	c := &Client{
		baseURL:   strings.TrimRight(baseURL, "/"),
		appID:     appID,
		secretKey: secretKey,
		hc:        http.DefaultClient,
		emptyMD5:  MD5OfEmpty,
		msgSeq:    randomMsgSeq,
		now:       time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// AppID returns the application id the client authenticates as.
func (c *Client) AppID() string { return c.appID }

// Envelope is the response message of 4.3.1 (表A-3). Data holds the undecoded data member.
type Envelope struct {
	ResultCode string          `json:"resultCode"`
	ResultMsg  string          `json:"resultMsg"`
	Total      int             `json:"total,omitempty"`
	Page       int             `json:"page,omitempty"`
	PageSize   int             `json:"pageSize,omitempty"`
	Data       json.RawMessage `json:"data,omitempty"`

	// MsgSeq is the msgSeq response header the server echoes, or the request's msgSeq when
	// the response has none.
	MsgSeq string `json:"-"`
}

// Paging returns the paging members of the envelope.
func (e *Envelope) Paging() Page {
	return Page{Total: e.Total, Page: e.Page, PageSize: e.PageSize}
}

// Page holds the paging members (total, page, pageSize) of a paged response.
type Page struct {
	Total    int
	Page     int
	PageSize int
}

// Do calls an endpoint and returns its decoded envelope.
//
// params is marshalled to JSON. For POST and PUT the JSON is the request body; for GET and
// DELETE it is sent as ?jsonObject=URIEncode(json) and its MD5 is signed. A nil params (or
// one that marshals to null or {}) means the request has no parameters: no body and no
// jsonObject, and the MD5 signed follows the client's [EmptyBodyMD5Convention].
//
// If out is not nil and the envelope has a non-null data member, data is unmarshalled into
// out. A resultCode other than "000000" is returned as an [*APIError] together with the
// envelope; a non-2xx HTTP status without an envelope is returned as an [*HTTPError].
func (c *Client) Do(ctx context.Context, method, path string, params any, out any) (*Envelope, error) {
	raw, err := marshalParams(params)
	if err != nil {
		return nil, err
	}
	return c.DoRaw(ctx, method, path, raw, out)
}

// DoRaw is [Client.Do] with the parameters given as JSON text, sent and signed verbatim: the
// body of a POST or PUT, the jsonObject of a GET or DELETE. An empty raw means no parameters.
func (c *Client) DoRaw(ctx context.Context, method, path, raw string, out any) (*Envelope, error) {
	method = strings.ToUpper(method)
	uri := path
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		uri = uri[:i]
	}

	bodyMD5 := signing.MD5Hex([]byte(raw))
	if raw == "" && c.emptyMD5 == EmptyMD5 {
		bodyMD5 = ""
	}

	target := c.baseURL + path
	var body io.Reader
	switch method {
	case http.MethodGet, http.MethodDelete:
		if raw != "" {
			sep := "?"
			if strings.Contains(path, "?") {
				sep = "&"
			}
			target += sep + "jsonObject=" + url.QueryEscape(raw)
		}
	default:
		if raw != "" {
			body = strings.NewReader(raw)
		}
	}

	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("vionet sdk: build request: %w", err)
	}
	ts := strconv.FormatInt(c.now().UnixMilli(), 10)
	seq := c.msgSeq()
	req.Header.Set("Content-Type", ContentType)
	setRaw(req.Header, signing.HeaderAppID, c.appID)
	setRaw(req.Header, signing.HeaderMsgSeq, seq)
	setRaw(req.Header, signing.HeaderTimestamp, ts)
	setRaw(req.Header, signing.HeaderSignature, signing.Request(c.secretKey, c.appID, ts, uri, bodyMD5))

	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("vionet sdk: %s %s: %w", method, uri, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("vionet sdk: %s %s: read response: %w", method, uri, err)
	}

	echoed := resp.Header.Get(signing.HeaderMsgSeq)
	if echoed == "" {
		echoed = seq
	}
	var env Envelope
	if err := json.Unmarshal(b, &env); err != nil || env.ResultCode == "" {
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return nil, &HTTPError{StatusCode: resp.StatusCode, Body: b, MsgSeq: echoed}
		}
		if err == nil {
			err = errors.New("no resultCode")
		}
		return nil, fmt.Errorf("vionet sdk: %s %s: malformed response envelope: %w", method, uri, err)
	}
	env.MsgSeq = echoed
	if env.ResultCode != CodeOK {
		return &env, &APIError{Code: env.ResultCode, Msg: env.ResultMsg, MsgSeq: echoed}
	}
	if out != nil && len(env.Data) > 0 && !bytes.Equal(bytes.TrimSpace(env.Data), []byte("null")) {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return &env, fmt.Errorf("vionet sdk: %s %s: decode data: %w", method, uri, err)
		}
	}
	return &env, nil
}

// setRaw sets a header without canonicalising its name, so that it goes on the wire spelled
// exactly as 表A-2 spells it (appid, msgSeq, ...). HTTP header names are case-insensitive,
// but some gateways are not.
func setRaw(h http.Header, name, value string) {
	h[name] = []string{value}
}

// marshalParams encodes params as compact JSON without HTML escaping; "" means no params.
func marshalParams(params any) (string, error) {
	if params == nil {
		return "", nil
	}
	if s, ok := params.(json.RawMessage); ok {
		return string(s), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(params); err != nil {
		return "", fmt.Errorf("vionet sdk: encode params: %w", err)
	}
	s := strings.TrimSuffix(buf.String(), "\n")
	if s == "null" || s == "{}" {
		return "", nil
	}
	return s, nil
}

func randomMsgSeq() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}
