package main

// Conversions between Pulumi property maps and plain Go values. Inputs are decoded strictly
// into the structs below (an input this stand-in does not implement is an error, not ignored),
// and outputs are built from plain maps.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// unknownValue stands for a value the engine does not know yet (preview).
type unknownValue struct{}

// plain turns a property value into JSON-like Go values, unwrapping secrets.
func plain(v resource.PropertyValue) any {
	switch {
	case v.IsComputed() || (v.IsOutput() && !v.OutputValue().Known):
		return unknownValue{}
	case v.IsOutput():
		return plain(v.OutputValue().Element)
	case v.IsSecret():
		return plain(v.SecretValue().Element)
	case v.IsNull():
		return nil
	case v.IsBool():
		return v.BoolValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsString():
		return v.StringValue()
	case v.IsArray():
		out := make([]any, 0, len(v.ArrayValue()))
		for _, e := range v.ArrayValue() {
			out = append(out, plain(e))
		}
		return out
	case v.IsObject():
		return plainMap(v.ObjectValue())
	case v.IsResourceReference():
		return string(v.ResourceReferenceValue().URN)
	}
	return nil
}

func plainMap(m resource.PropertyMap) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if k == "__defaults" || k == "__meta" {
			continue
		}
		out[string(k)] = plain(v)
	}
	return out
}

// hasUnknown reports whether any value below v is unknown.
func hasUnknown(v any) bool {
	switch t := v.(type) {
	case unknownValue:
		return true
	case []any:
		for _, e := range t {
			if hasUnknown(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range t {
			if hasUnknown(e) {
				return true
			}
		}
	}
	return false
}

// decodeStrict decodes a plain map into a struct, rejecting fields the struct does not have.
func decodeStrict(in map[string]any, out any) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(out)
}

// toMap encodes a struct into a plain map (json tags, omitempty respected).
func toMap(v any) map[string]any {
	raw, _ := json.Marshal(v)
	out := map[string]any{}
	_ = json.Unmarshal(raw, &out)
	return out
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// diffPaths lists the paths where `news` differs from `olds`, in Pulumi's property-path syntax
// (`a.b[0].c`). Only what the program sets is compared (keys present in news), as Terraform
// compares an optional+computed attribute only when it is configured; a list is compared
// element by element and a changed length is a change of the list itself.
func diffPaths(prefix string, olds, news any, out map[string]bool) {
	switch n := news.(type) {
	case unknownValue:
		if _, same := olds.(unknownValue); !same {
			out[prefix] = true
		}
	case map[string]any:
		o, ok := olds.(map[string]any)
		if !ok {
			out[prefix] = true
			return
		}
		for _, k := range sortedKeys(n) {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			diffPaths(p, o[k], n[k], out)
		}
	case []any:
		o, ok := olds.([]any)
		if !ok || len(o) != len(n) {
			out[prefix] = true
			return
		}
		for i := range n {
			diffPaths(fmt.Sprintf("%s[%d]", prefix, i), o[i], n[i], out)
		}
	case nil:
		// not set by the program: computed or defaulted by Proxmox, not compared
	default:
		if !equalScalar(olds, n) {
			out[prefix] = true
		}
	}
}

func equalScalar(a, b any) bool {
	if af, ok := a.(float64); ok {
		bf, ok := b.(float64)
		return ok && af == bf
	}
	return a == b
}
