package northbound

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/vionet/vionet/internal/domain"
)

// Params is a request's JSON object (the body, or the decoded jsonObject query value), read
// field by field. The spec gives many fields inconsistent types (numbers as strings and back,
// see endpoints.json quirks), so getters accept a value in either form.
type Params struct {
	m      map[string]json.RawMessage
	prefix string // for nested objects: "channels[0]."
}

// ParseParams decodes a request's parameters. Empty input is an empty object; anything but
// a JSON object is 000002.
func ParseParams(raw []byte) (Params, error) {
	p := Params{m: map[string]json.RawMessage{}}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return p, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&p.m); err != nil {
		return p, domain.Errorf(domain.CodeMalformed, "request JSON: %v", cleanJSONError(err))
	}
	if dec.More() {
		return p, domain.Errorf(domain.CodeMalformed, "request JSON: trailing data after the object")
	}
	if p.m == nil { // the literal null
		p.m = map[string]json.RawMessage{}
	}
	return p, nil
}

func cleanJSONError(err error) string {
	msg := err.Error()
	if strings.Contains(msg, "cannot unmarshal") {
		return "not a JSON object"
	}
	return msg
}

// Decoder reads typed fields from Params and keeps the first error.
type Decoder struct {
	p   Params
	err error
}

// Decode starts reading p.
func (p Params) Decode() *Decoder { return &Decoder{p: p} }

// Err is the first missing or invalid field, as a 000003 naming it.
func (d *Decoder) Err() error { return d.err }

// Fail records an invalid field (000003 naming it) unless an earlier error is kept.
func (d *Decoder) Fail(name, format string, args ...any) { d.fail(name, format, args...) }

func (d *Decoder) fail(name, format string, args ...any) {
	if d.err == nil {
		d.err = domain.InvalidField(d.p.prefix+name, format, args...)
	}
}

// raw returns the field's JSON, or nil when absent or null.
func (d *Decoder) raw(name string, required bool) json.RawMessage {
	v, ok := d.p.m[name]
	if !ok || string(v) == "null" {
		if required && d.err == nil {
			d.err = domain.MissingField(d.p.prefix + name)
		}
		return nil
	}
	return v
}

// Required and Optional name the two kinds of field.
const (
	Required = true
	Optional = false
)

// String reads a string field; a JSON number is taken as its decimal text.
func (d *Decoder) String(name string, required bool) string {
	v := d.raw(name, required)
	if v == nil {
		return ""
	}
	switch v[0] {
	case '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			d.fail(name, "invalid string")
		}
		if required && strings.TrimSpace(s) == "" {
			d.fail(name, "is required")
		}
		return s
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(v)
	default:
		d.fail(name, "must be a string")
		return ""
	}
}

// Int reads an integer field; a string holding an integer ("2", "02") is accepted.
func (d *Decoder) Int(name string, required bool) int {
	n, _ := d.int(name, required)
	return n
}

// OptInt reads an optional integer field, nil when absent.
func (d *Decoder) OptInt(name string) *int {
	n, ok := d.int(name, false)
	if !ok {
		return nil
	}
	return &n
}

func (d *Decoder) int(name string, required bool) (int, bool) {
	v := d.raw(name, required)
	if v == nil {
		return 0, false
	}
	s := string(v)
	if v[0] == '"' {
		if err := json.Unmarshal(v, &s); err != nil {
			d.fail(name, "invalid string")
			return 0, false
		}
		s = strings.TrimSpace(s)
		if s == "" {
			if required {
				d.fail(name, "is required")
			}
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		d.fail(name, "must be an integer, got %s", truncate(string(v), 32))
		return 0, false
	}
	return n, true
}

// Flag reads a 0/1 flag given as a number, a string or a JSON boolean.
func (d *Decoder) Flag(name string) bool {
	v := d.raw(name, false)
	switch string(v) {
	case "", "false", "0", `"0"`, `""`:
		return false
	case "true", "1", `"1"`:
		return true
	}
	d.fail(name, "must be 0 or 1, got %s", truncate(string(v), 32))
	return false
}

// Objects reads a list of objects; each element's fields are named "name[i].field" in errors.
func (d *Decoder) Objects(name string, required bool) []Params {
	v := d.raw(name, required)
	if v == nil {
		return nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(v, &list); err != nil {
		d.fail(name, "must be a list of objects")
		return nil
	}
	out := make([]Params, len(list))
	for i, el := range list {
		m := map[string]json.RawMessage{}
		dec := json.NewDecoder(bytes.NewReader(el))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil || m == nil {
			d.fail(fmt.Sprintf("%s[%d]", name, i), "must be an object")
			return nil
		}
		out[i] = Params{m: m, prefix: fmt.Sprintf("%s%s[%d].", d.p.prefix, name, i)}
	}
	return out
}

// PageRequest reads page/pageSize with the spec's defaults (1 and 10) and bound (100).
func (d *Decoder) PageRequest() (page, size int) {
	page, size = 1, 10
	if p := d.OptInt("page"); p != nil {
		if *p < 1 {
			d.fail("page", "must be ≥ 1")
		}
		page = *p
	}
	if s := d.OptInt("pageSize"); s != nil {
		if *s < 1 || *s > 100 {
			d.fail("pageSize", "must be 1-100")
		}
		size = *s
	}
	return page, size
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
