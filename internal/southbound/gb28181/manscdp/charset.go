package manscdp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Charset names recorded in Message.Charset and accepted by Encode.
const (
	CharsetUTF8    = "UTF-8"
	CharsetGB2312  = "GB2312"
	CharsetGBK     = "GBK"
	CharsetGB18030 = "GB18030"
)

// ErrUnsupportedCharset is returned by Encode and DecodeAs for a charset
// other than UTF-8, GB2312, GBK, GB18030 or one of their aliases.
var ErrUnsupportedCharset = errors.New("manscdp: unsupported charset")

// canonicalCharset maps a charset label (case-insensitive, surrounding
// space ignored) to one of the Charset* constants; "" maps to UTF-8.
func canonicalCharset(label string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "", "utf-8", "utf8":
		return CharsetUTF8, true
	case "gb2312", "gb_2312-80", "euc-cn", "csgb2312":
		return CharsetGB2312, true
	case "gbk", "cp936", "x-gbk", "windows-936", "ms936":
		return CharsetGBK, true
	case "gb18030":
		return CharsetGB18030, true
	}
	return "", false
}

func isGB(charset string) bool { return charset != CharsetUTF8 }

const utf8BOM = "\xEF\xBB\xBF"

// trimLeading drops a UTF-8 byte order mark and leading XML whitespace and
// reports whether a BOM was present.
func trimLeading(b []byte) ([]byte, bool) {
	bom := false
	for {
		switch {
		case bytes.HasPrefix(b, []byte(utf8BOM)):
			b, bom = b[len(utf8BOM):], true
		case len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n'):
			b = b[1:]
		default:
			return b, bom
		}
	}
}

// splitDeclaration splits off a leading XML declaration ("<?xml ... ?>",
// any case) and returns the encoding it declares ("" if none) and the rest.
// Without a declaration it returns b unchanged.
func splitDeclaration(b []byte) (encoding string, rest []byte) {
	if len(b) < 5 || !bytes.EqualFold(b[:5], []byte("<?xml")) {
		return "", b
	}
	if len(b) > 5 && !isXMLSpace(b[5]) && b[5] != '?' {
		return "", b // e.g. <?xml-stylesheet ...?>
	}
	end := bytes.Index(b, []byte("?>"))
	if end < 0 {
		return "", b
	}
	decl := b[5:end]
	rest = b[end+2:]
	i := indexFoldASCII(decl, "encoding")
	if i < 0 {
		return "", rest
	}
	v := bytes.TrimLeft(decl[i+len("encoding"):], " \t\r\n")
	if len(v) == 0 || v[0] != '=' {
		return "", rest
	}
	v = bytes.TrimLeft(v[1:], " \t\r\n")
	if len(v) > 0 && (v[0] == '"' || v[0] == '\'') {
		q := v[0]
		v = v[1:]
		if j := bytes.IndexByte(v, q); j >= 0 {
			v = v[:j]
		}
	} else if j := bytes.IndexAny(v, " \t\r\n?"); j >= 0 {
		v = v[:j]
	}
	return string(bytes.TrimSpace(v)), rest
}

// indexFoldASCII is bytes.Index with ASCII case folding; unlike
// bytes.ToLower it keeps offsets of non-UTF-8 input intact.
func indexFoldASCII(b []byte, sub string) int {
	for i := 0; i+len(sub) <= len(b); i++ {
		match := true
		for j := range len(sub) {
			c := b[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

func isXMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// toUTF8 converts body (declaration already removed) according to the
// charset policy described in the package documentation. force, when not
// empty, is a canonical charset that overrides detection.
func toUTF8(body []byte, declared string, bom bool, force string) (text []byte, charset string) {
	switch {
	case force != "":
		charset = force
	case bom:
		charset = CharsetUTF8
	default:
		cs, known := canonicalCharset(declared)
		switch {
		case known && isGB(cs):
			charset = cs
		case utf8.Valid(body):
			charset = CharsetUTF8
		default:
			// Declared UTF-8 but is not, undeclared, or an unknown label:
			// GB bytes are by far the likeliest.
			charset = CharsetGB2312
		}
	}
	if isGB(charset) {
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(body)
		if err == nil {
			return out, charset
		}
		// The GB18030 decoder replaces invalid sequences instead of
		// failing; fall through defensively to a lossy UTF-8 view.
	}
	if !utf8.Valid(body) {
		body = bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	return body, charset
}

// Encode marshals v (one of the typed message structs, or any value
// encoding/xml accepts) and prefixes the XML declaration for charset:
// "" or UTF-8 gives a UTF-8 body; GB2312, GBK or GB18030 (or an alias)
// gives that label in the declaration and a GB18030-encoded body, which is
// byte-identical to GB2312/GBK for every character they contain. Pass
// Message.Charset to answer a device in the charset it used.
func Encode(v any, charset string) ([]byte, error) {
	cs, ok := canonicalCharset(charset)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedCharset, charset)
	}
	if v == nil {
		return nil, errors.New("manscdp: Encode(nil)")
	}
	var buf bytes.Buffer
	enc := xml.NewEncoder(&buf)
	decl := xml.ProcInst{Target: "xml", Inst: []byte(`version="1.0" encoding="` + cs + `"`)}
	if err := enc.EncodeToken(decl); err != nil {
		return nil, fmt.Errorf("manscdp: encode declaration: %w", err)
	}
	if err := enc.EncodeToken(xml.CharData("\n")); err != nil {
		return nil, fmt.Errorf("manscdp: encode: %w", err)
	}
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("manscdp: encode %T: %w", v, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("manscdp: encode %T: %w", v, err)
	}
	buf.WriteByte('\n')
	if !isGB(cs) {
		return buf.Bytes(), nil
	}
	out, err := simplifiedchinese.GB18030.NewEncoder().Bytes(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("manscdp: encode %s: %w", cs, err)
	}
	return out, nil
}
