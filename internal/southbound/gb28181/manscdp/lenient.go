package manscdp

import (
	"bytes"
	"encoding"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// unmarshalLenient is Into's second attempt after first failed. When the
// failure was a number that did not parse, it blanks every numeric element
// or attribute of v's type whose text is not a number (so it decodes as
// zero), resets *v and unmarshals again. retried is false when there was
// nothing to retry and first stands.
func unmarshalLenient(raw []byte, v any, first error) (retried bool, err error) {
	var numErr *strconv.NumError
	if !errors.As(first, &numErr) {
		return false, first
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false, first
	}
	paths := map[string]reflect.Type{}
	numericPaths(rv.Type().Elem(), "", paths, 0)
	if len(paths) == 0 {
		return false, first
	}
	fixed, changed, err := blankBadNumbers(raw, paths)
	if err != nil || !changed {
		return false, first
	}
	rv.Elem().Set(reflect.Zero(rv.Type().Elem()))
	return true, xml.Unmarshal(fixed, v)
}

func customUnmarshal(t reflect.Type) bool {
	for _, it := range []reflect.Type{
		reflect.TypeFor[xml.Unmarshaler](),
		reflect.TypeFor[xml.UnmarshalerAttr](),
		reflect.TypeFor[encoding.TextUnmarshaler](),
	} {
		if t.Implements(it) || reflect.PointerTo(t).Implements(it) {
			return true
		}
	}
	return false
}

func isNumberKind(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// numericPaths records, for struct type t decoded at element path prefix
// (relative to the root, "/"-separated; attributes as "path/@name"), the
// paths that hold numbers and their types.
func numericPaths(t reflect.Type, prefix string, out map[string]reflect.Type, depth int) {
	if depth > 12 {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || customUnmarshal(t) {
		return
	}
fields:
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("xml")
		if tag == "-" || f.Type == reflect.TypeFor[xml.Name]() {
			continue
		}
		name, flags, _ := strings.Cut(tag, ",")
		attr, chardata := false, false
		for fl := range strings.SplitSeq(flags, ",") {
			switch fl {
			case "attr":
				attr = true
			case "chardata":
				chardata = true
			case "innerxml", "comment", "any":
				continue fields // not addressable by a fixed path
			}
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		elem := ft
		if elem.Kind() == reflect.Slice && elem.Elem().Kind() != reflect.Uint8 {
			elem = elem.Elem()
			for elem.Kind() == reflect.Pointer {
				elem = elem.Elem()
			}
		}
		if f.Anonymous && tag == "" && elem.Kind() == reflect.Struct {
			numericPaths(elem, prefix, out, depth+1)
			continue
		}
		if name == "" {
			name = f.Name
		}
		var path string
		switch {
		case attr:
			path = join(prefix, "@"+name)
		case chardata:
			path = prefix
		default:
			path = join(prefix, strings.ReplaceAll(name, ">", "/"))
		}
		switch {
		case customUnmarshal(elem):
		case isNumberKind(elem.Kind()):
			out[path] = elem
		case elem.Kind() == reflect.Struct && !attr && !chardata:
			numericPaths(elem, path, out, depth+1)
		}
	}
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// blankBadNumbers rewrites raw (already well-formed) so that the text of
// every element or attribute in paths that does not parse as its number
// type becomes its nearest parseable form, or empty.
func blankBadNumbers(raw []byte, paths map[string]reflect.Type) ([]byte, bool, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var out bytes.Buffer
	enc := xml.NewEncoder(&out)
	var stack []string // element names below the root
	depth := 0
	changed := false
	var text strings.Builder
	collecting := reflect.Type(nil)
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if collecting != nil {
				// An element inside a number (a chardata field): fix the
				// text so far and pass the rest through.
				s := text.String()
				fixed := fixNumber(s, collecting)
				changed = changed || fixed != s
				if err := enc.EncodeToken(xml.CharData(fixed)); err != nil {
					return nil, false, err
				}
				collecting = nil
				text.Reset()
			}
			if depth > 0 {
				stack = append(stack, t.Name.Local)
			}
			depth++
			path := strings.Join(stack, "/")
			t = t.Copy()
			for i, a := range t.Attr {
				if typ, ok := paths[join(path, "@"+a.Name.Local)]; ok {
					if fixed := fixNumber(a.Value, typ); fixed != a.Value {
						t.Attr[i].Value = fixed
						changed = true
					}
				}
			}
			if typ, ok := paths[path]; ok && depth > 1 {
				collecting = typ
			}
			if err := enc.EncodeToken(t); err != nil {
				return nil, false, err
			}
		case xml.EndElement:
			if collecting != nil {
				s := text.String()
				fixed := fixNumber(s, collecting)
				if fixed != s {
					changed = true
				}
				if err := enc.EncodeToken(xml.CharData(fixed)); err != nil {
					return nil, false, err
				}
				collecting = nil
				text.Reset()
			}
			depth--
			if depth > 0 && len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			if err := enc.EncodeToken(t); err != nil {
				return nil, false, err
			}
		case xml.CharData:
			if collecting != nil {
				text.Write(t)
				continue
			}
			if err := enc.EncodeToken(t); err != nil {
				return nil, false, err
			}
		}
	}
	if err := enc.Flush(); err != nil {
		return nil, false, err
	}
	return out.Bytes(), changed, nil
}

// fixNumber returns s when it parses as typ (after trimming, as
// encoding/xml does), an integer rendering of a decimal for integer types,
// or "" (zero).
func fixNumber(s string, typ reflect.Type) string {
	v := strings.TrimSpace(s)
	if v == "" {
		return s
	}
	bits := typ.Bits()
	switch typ.Kind() {
	case reflect.Float32, reflect.Float64:
		if _, err := strconv.ParseFloat(v, bits); err == nil {
			return s
		}
		return ""
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if _, err := strconv.ParseUint(v, 10, bits); err == nil {
			return s
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f < math.Ldexp(1, bits) {
			return strconv.FormatUint(uint64(f), 10)
		}
		return ""
	default:
		if _, err := strconv.ParseInt(v, 10, bits); err == nil {
			return s
		}
		limit := math.Ldexp(1, bits-1)
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= -limit && f < limit {
			return strconv.FormatInt(int64(f), 10)
		}
		return ""
	}
}
