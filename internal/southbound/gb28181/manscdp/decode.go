package manscdp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Root element names.
const (
	RootQuery    = "Query"
	RootControl  = "Control"
	RootResponse = "Response"
	RootNotify   = "Notify"
)

// Decode errors. Everything else about a body is tolerated.
var (
	// ErrNoRoot means the body holds no XML element at all.
	ErrNoRoot = errors.New("manscdp: no root element")
	// ErrNoCmdType means the root element has no non-empty CmdType child.
	ErrNoCmdType = errors.New("manscdp: no CmdType")
)

// Message is a decoded MANSCDP body: the fields every message carries, and
// the cleaned document for Into.
type Message struct {
	// Root is the root element name, canonicalised to Query, Control,
	// Response or Notify when it matches one of them case-insensitively
	// (any other name is kept as sent).
	Root string
	// CmdType is the trimmed CmdType text, canonicalised to the standard
	// spelling when it matches a known command case-insensitively.
	CmdType string
	// SN is the command sequence number; 0 when missing or not a number.
	SN int
	// DeviceID is the trimmed DeviceID text.
	DeviceID string
	// Charset is the charset the body was decoded with (see the package
	// documentation): UTF-8, GB2312, GBK or GB18030. Pass it to Encode to
	// answer in kind.
	Charset string
	// Partial reports that the body broke off (truncation or an XML error)
	// before its root element closed; Raw was closed off at that point.
	Partial bool
	// Raw is the cleaned document re-encoded as UTF-8 XML without a
	// declaration: the root element only, with the canonical root name,
	// the CmdType/SN/DeviceID texts as in the fields above (a repeated one
	// is dropped: the first wins), namespace prefixes, comments and
	// trailing garbage removed, and entities escaped.
	Raw []byte
}

// Decode decodes a MANSCDP body, detecting its charset (see the package
// documentation). It fails only with ErrNoRoot or ErrNoCmdType.
func Decode(body []byte) (*Message, error) {
	return decode(body, "")
}

// DecodeAs is Decode with the charset given instead of detected, for
// devices that mislabel their bodies. charset is UTF-8, GB2312, GBK or
// GB18030 (or an alias); "" means detect, as Decode does.
func DecodeAs(body []byte, charset string) (*Message, error) {
	if strings.TrimSpace(charset) == "" {
		return decode(body, "")
	}
	cs, ok := canonicalCharset(charset)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedCharset, charset)
	}
	return decode(body, cs)
}

func decode(body []byte, force string) (*Message, error) {
	b, bom := trimLeading(body)
	declared, rest := splitDeclaration(b)
	text, charset := toUTF8(rest, declared, bom, force)
	text = sanitize(text)

	m := &Message{Charset: charset}
	raw, fields, err := clean(text)
	if err != nil {
		return nil, err
	}
	m.Root = fields.root
	m.Partial = fields.partial
	m.Raw = raw
	m.CmdType = canonicalCmdType(fields.cmdType)
	if m.CmdType == "" {
		return nil, ErrNoCmdType
	}
	m.DeviceID = strings.TrimSpace(fields.deviceID)
	m.SN = parseSN(fields.sn)
	return m, nil
}

func parseSN(s string) int {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return 0
	}
	return int(n)
}

// Into unmarshals the message into v, a pointer to one of the typed
// message structs (or any struct encoding/xml accepts). The struct's root
// element must match m.Root. A numeric element or attribute whose text is
// not a number decodes as zero rather than failing the message.
func (m *Message) Into(v any) error {
	if m == nil {
		return errors.New("manscdp: Into on nil Message")
	}
	err := xml.Unmarshal(m.Raw, v)
	if err == nil {
		return nil
	}
	if retried, err2 := unmarshalLenient(m.Raw, v, err); retried {
		err = err2
		if err == nil {
			return nil
		}
	}
	return fmt.Errorf("manscdp: %s %s into %T: %w", m.Root, m.CmdType, v, err)
}

// Typed returns the message unmarshalled into the struct TypeFor chooses
// for its root and CmdType, or an error wrapping ErrUnknownMessage.
func (m *Message) Typed() (any, error) {
	if m == nil {
		return nil, errors.New("manscdp: Typed on nil Message")
	}
	v := TypeFor(m.Root, m.CmdType)
	if v == nil {
		return nil, fmt.Errorf("%w: %s %s", ErrUnknownMessage, m.Root, m.CmdType)
	}
	if err := m.Into(v); err != nil {
		return nil, err
	}
	return v, nil
}

// sanitize drops characters XML 1.0 forbids and escapes every '&' that
// does not start a well-formed, predefined or numeric entity reference
// (outside CDATA sections, where '&' is literal).
func sanitize(b []byte) []byte {
	const cdataStart, cdataEnd = "<![CDATA[", "]]>"
	var out []byte // allocated on first change
	last := 0
	flush := func(i int) {
		if out == nil {
			out = make([]byte, 0, len(b)+16)
		}
		out = append(out, b[last:i]...)
	}
	inCDATA := false
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '<' && !inCDATA && bytes.HasPrefix(b[i:], []byte(cdataStart)):
				inCDATA = true
				i += len(cdataStart)
				continue
			case c == ']' && inCDATA && bytes.HasPrefix(b[i:], []byte(cdataEnd)):
				inCDATA = false
				i += len(cdataEnd)
				continue
			case c == '&' && !inCDATA:
				if !entityAt(b[i:]) {
					flush(i)
					out = append(out, "&amp;"...)
					last = i + 1
				}
			case c < 0x20 && c != '\t' && c != '\n' && c != '\r':
				flush(i)
				last = i + 1
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == 0xFFFE || r == 0xFFFF || (r == utf8.RuneError && size == 1) {
			flush(i)
			last = i + size
		}
		i += size
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// entityAt reports whether b (starting at '&') begins with &amp; &lt; &gt;
// &quot; &apos; or a numeric reference to a character XML allows.
func entityAt(b []byte) bool {
	end := bytes.IndexByte(b, ';')
	if end < 2 || end > 12 {
		return false
	}
	name := string(b[1:end])
	switch name {
	case "amp", "lt", "gt", "quot", "apos":
		return true
	}
	if name[0] != '#' {
		return false
	}
	var n uint64
	var err error
	if len(name) > 1 && (name[1] == 'x' || name[1] == 'X') {
		if len(name) == 2 {
			return false
		}
		// Go's decoder accepts only a lowercase x.
		if name[1] == 'X' {
			return false
		}
		n, err = strconv.ParseUint(name[2:], 16, 32)
	} else {
		n, err = strconv.ParseUint(name[1:], 10, 32)
	}
	if err != nil {
		return false
	}
	r := rune(n)
	return r == '\t' || r == '\n' || r == '\r' ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// maxDepth bounds element nesting in Decode.
const maxDepth = 64

type headerFields struct {
	root, cmdType, sn, deviceID string
	partial                     bool
}

// clean tokenises text leniently and re-encodes the root element as
// well-formed XML, collecting the header fields on the way.
func clean(text []byte) ([]byte, headerFields, error) {
	var f headerFields
	dec := xml.NewDecoder(bytes.NewReader(text))
	// Non-strict only affects lexing here (unquoted attribute values,
	// unknown entities); nesting is checked below, not by the decoder.
	dec.Strict = false
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }

	var out bytes.Buffer
	enc := xml.NewEncoder(&out)
	var stack []string // element names as emitted
	capture := ""      // header field being read at depth 2
	var captured strings.Builder
	rootSeen := false
	seen := map[string]bool{} // header fields already written
	skip := 0                 // >0 while dropping a repeated header field

	// endCapture records a header field and writes its text, trimmed (and
	// for CmdType canonicalised), so typed structs see what Message does.
	endCapture := func() error {
		v := strings.TrimSpace(captured.String())
		switch capture {
		case "CmdType":
			v = canonicalCmdType(v)
			if f.cmdType == "" {
				f.cmdType = v
			}
		case "SN":
			if f.sn == "" {
				f.sn = v
			}
		case "DeviceID":
			if f.deviceID == "" {
				f.deviceID = v
			}
		}
		capture = ""
		captured.Reset()
		return enc.EncodeToken(xml.CharData(v))
	}
	closeTo := func(n int) error { // close elements until len(stack) == n
		for len(stack) > n {
			if len(stack) == 2 && capture != "" {
				if err := endCapture(); err != nil {
					return err
				}
			}
			name := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if err := enc.EncodeToken(xml.EndElement{Name: xml.Name{Local: name}}); err != nil {
				return err
			}
		}
		return nil
	}

loop:
	for {
		tok, err := dec.RawToken()
		if err != nil {
			if !rootSeen {
				if err == io.EOF {
					return nil, f, ErrNoRoot
				}
				return nil, f, fmt.Errorf("%w: %v", ErrNoRoot, err)
			}
			f.partial = true
			if err := closeTo(0); err != nil {
				return nil, f, fmt.Errorf("manscdp: re-encode: %w", err)
			}
			break loop
		}
		if skip > 0 {
			switch tok.(type) {
			case xml.StartElement:
				skip++
			case xml.EndElement:
				skip--
			}
			continue
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				// MANSCDP nests a handful of levels; this is garbage or an
				// attack on the end-tag search. Stop here.
				f.partial = true
				if err := closeTo(0); err != nil {
					return nil, f, fmt.Errorf("manscdp: re-encode: %w", err)
				}
				break loop
			}
			name := elementName(t.Name)
			if name == "" {
				continue // unusable name: drop the tag, keep its content
			}
			switch len(stack) {
			case 0:
				if rootSeen {
					break loop // unreachable: the loop ends when the root closes
				}
				rootSeen = true
				name = canonicalName(name, RootQuery, RootControl, RootResponse, RootNotify)
				f.root = name
			case 1:
				name = canonicalName(name, "CmdType", "SN", "DeviceID")
				switch name {
				case "CmdType", "SN", "DeviceID":
					if seen[name] {
						// A repeated header field would override the
						// first in Into; the first one wins, as in Message.
						skip = 1
						continue
					}
					seen[name] = true
					capture = name
				}
			}
			start := xml.StartElement{Name: xml.Name{Local: name}}
			for _, a := range t.Attr {
				an := elementName(a.Name)
				if an == "" || a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: an}, Value: a.Value})
			}
			if err := enc.EncodeToken(start); err != nil {
				return nil, f, fmt.Errorf("manscdp: re-encode: %w", err)
			}
			stack = append(stack, name)
		case xml.EndElement:
			if len(stack) == 0 {
				continue
			}
			// Find the open element this end tag closes: exact match
			// first, then case-insensitive; a stray end tag is ignored.
			end := elementName(t.Name)
			at := -1
			for i := len(stack) - 1; i >= 0 && at < 0; i-- {
				if stack[i] == end {
					at = i
				}
			}
			for i := len(stack) - 1; i >= 0 && at < 0; i-- {
				if strings.EqualFold(stack[i], end) {
					at = i
				}
			}
			if at < 0 {
				continue
			}
			if err := closeTo(at); err != nil {
				return nil, f, fmt.Errorf("manscdp: re-encode: %w", err)
			}
			if len(stack) == 0 {
				break loop // root closed: anything after it is ignored
			}
		case xml.CharData:
			if len(stack) == 0 {
				continue
			}
			if capture != "" && len(stack) == 2 {
				captured.Write(t) // written by endCapture
				continue
			}
			if err := enc.EncodeToken(t); err != nil {
				return nil, f, fmt.Errorf("manscdp: re-encode: %w", err)
			}
		default:
			// Comments, processing instructions, directives: dropped.
		}
	}
	if err := enc.Flush(); err != nil {
		return nil, f, fmt.Errorf("manscdp: re-encode: %w", err)
	}
	return out.Bytes(), f, nil
}

// canonicalName returns the candidate that equals name case-insensitively,
// or name itself.
func canonicalName(name string, candidates ...string) string {
	for _, c := range candidates {
		if strings.EqualFold(name, c) {
			return c
		}
	}
	return name
}

// elementName turns a raw (prefix, local) name into the name written to
// Raw: the local part without its namespace prefix, or the prefixed form
// when the local part alone is not a valid name ("a:0"), or "" when
// neither is.
func elementName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	if !strings.Contains(n.Local, ":") && validName(n.Local) {
		return n.Local
	}
	if full := n.Space + ":" + n.Local; validName(full) {
		return full
	}
	return ""
}

// validName reports whether s reads back unchanged as an element name.
func validName(s string) bool {
	if s == "" {
		return false
	}
	tok, err := xml.NewDecoder(strings.NewReader("<" + s + "/>")).RawToken()
	if err != nil {
		return false
	}
	start, ok := tok.(xml.StartElement)
	if !ok {
		return false
	}
	got := start.Name.Local
	if start.Name.Space != "" {
		got = start.Name.Space + ":" + got
	}
	return got == s
}
