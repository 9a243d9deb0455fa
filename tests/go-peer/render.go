package main

import (
	"encoding"
	"encoding/base64"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

var (
	timeType      = reflect.TypeOf(time.Time{})
	gobEncType    = reflect.TypeOf((*gob.GobEncoder)(nil)).Elem()
	binMarshType  = reflect.TypeOf((*encoding.BinaryMarshaler)(nil)).Elem()
	textMarshType = reflect.TypeOf((*encoding.TextMarshaler)(nil)).Elem()
)

func float(f float64) interface{} {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !containsAny(s, ".eE") {
		s += ".0"
	}
	return json.Number(s)
}

func containsAny(s, chars string) bool {
	for _, c := range s {
		for _, d := range chars {
			if c == d {
				return true
			}
		}
	}
	return false
}

func str(s string) interface{} {
	if utf8.ValidString(s) {
		return s
	}
	return map[string]interface{}{"bytes": base64.StdEncoding.EncodeToString([]byte(s))}
}

// iface renders an interface{} value as {"type", "value"}.
func iface(v interface{}) interface{} {
	if v == nil {
		return map[string]interface{}{"type": "<nil>", "value": nil}
	}
	return map[string]interface{}{"type": fmt.Sprintf("%T", v), "value": render(reflect.ValueOf(v))}
}

// render gives the JSON view of a decoded value, in the shape scsctl's values_json produces.
// Pointers are invisible on gob's wire: a nil pointer to a struct shows as null (gob always
// sends struct values, so an omitted struct field was a nil pointer), a nil pointer to anything
// else as its element's zero value (gob cannot tell it from a pointer to zero).
func render(v reflect.Value) interface{} {
	t := v.Type()
	if t == timeType {
		return v.Interface().(time.Time).Format(time.RFC3339Nano)
	}
	if t.Kind() != reflect.Interface && t.Kind() != reflect.Pointer {
		switch {
		case t.Implements(gobEncType):
			b, _ := v.Interface().(gob.GobEncoder).GobEncode()
			return map[string]interface{}{"marshaled": base64.StdEncoding.EncodeToString(b)}
		case t.Implements(binMarshType):
			b, _ := v.Interface().(encoding.BinaryMarshaler).MarshalBinary()
			return map[string]interface{}{"marshaled": base64.StdEncoding.EncodeToString(b)}
		case t.Implements(textMarshType):
			b, _ := v.Interface().(encoding.TextMarshaler).MarshalText()
			return string(b)
		}
	}
	switch t.Kind() {
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return json.Number(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		return float(v.Float())
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		return map[string]interface{}{"real": float(real(c)), "imag": float(imag(c))}
	case reflect.String:
		return str(v.String())
	case reflect.Interface:
		if v.IsNil() {
			return iface(nil)
		}
		return iface(v.Elem().Interface())
	case reflect.Pointer:
		if v.IsNil() {
			if t.Elem().Kind() == reflect.Struct && t.Elem() != timeType {
				return nil
			}
			return render(reflect.Zero(t.Elem()))
		}
		return render(v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return base64.StdEncoding.EncodeToString(v.Bytes())
		}
		fallthrough
	case reflect.Array:
		out := make([]interface{}, v.Len())
		for i := range out {
			out[i] = render(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		if t.Key().Kind() == reflect.String {
			out := map[string]interface{}{}
			for _, k := range v.MapKeys() {
				out[k.String()] = render(v.MapIndex(k))
			}
			return out
		}
		pairs := [][]interface{}{}
		for _, k := range v.MapKeys() {
			pairs = append(pairs, []interface{}{render(k), render(v.MapIndex(k))})
		}
		sort.Slice(pairs, func(i, j int) bool {
			a, _ := json.Marshal(pairs[i][0])
			b, _ := json.Marshal(pairs[j][0])
			return string(a) < string(b)
		})
		return pairs
	case reflect.Struct:
		out := map[string]interface{}{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || f.Type.Kind() == reflect.Chan || f.Type.Kind() == reflect.Func {
				continue
			}
			out[f.Name] = render(v.Field(i))
		}
		return out
	}
	return fmt.Sprintf("unsupported kind %s", t.Kind())
}

// view is the JSON view of a session.
func view(deadline time.Time, values map[string]interface{}) map[string]interface{} {
	vals := map[string]interface{}{}
	for k, v := range values {
		vals[k] = iface(v)
	}
	return map[string]interface{}{"deadline": deadline.Format(time.RFC3339Nano), "values": vals}
}
