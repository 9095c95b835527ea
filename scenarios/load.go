package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/multipaxos-kv/multipaxos-kv/scenarios/userfile"
)

// Load returns the validated scenario nameOrPath. A bare name (no ".toml"
// suffix, no path separator) is an embedded scenario, shown in errors as
// "scenarios/<name>.toml"; anything else is a file read from disk. An
// unknown name is an error that lists the embedded scenarios.
func Load(nameOrPath string) (Scenario, error) {
	if !strings.HasSuffix(nameOrPath, ".toml") && !strings.ContainsAny(nameOrPath, `/\`+string(os.PathSeparator)) {
		data, ok := Embedded(nameOrPath)
		if !ok {
			return Scenario{}, fmt.Errorf("unknown scenario %q (embedded scenarios: %s; a file must be given as a path, like ./%s.toml)",
				nameOrPath, strings.Join(Names(), ", "), nameOrPath)
		}
		return Parse(data, embeddedFile(nameOrPath))
	}
	data, err := userfile.Read(nameOrPath, MaxFileSize)
	if err != nil {
		return Scenario{}, fmt.Errorf("%s: cannot read the scenario: %v", nameOrPath, err)
	}
	return Parse(data, nameOrPath)
}

// Parse decodes and validates the scenario in data; file names it in error
// messages and, when the file leaves name empty, gives the scenario its name
// (the base name without ".toml"). The result is Default overlaid with what
// the file states. Any problem returns an *Error listing all the problems
// found at that stage, in line order: TOML syntax first, then unknown keys
// and wrong types, then the rules of Validate.
func Parse(data []byte, file string) (Scenario, error) {
	if len(data) > MaxFileSize {
		return Scenario{}, newError(file, []Problem{{Msg: fmt.Sprintf("too large: %d bytes (limit %d)", len(data), MaxFileSize)}})
	}
	src := string(data)

	// The raw form lets us check keys and types ourselves: BurntSushi
	// matches keys case-insensitively, stops at the first type error, and
	// reports keys of [[faults]] without their index.
	var raw map[string]any
	if _, err := toml.Decode(src, &raw); err != nil {
		return Scenario{}, newError(file, []Problem{decodeProblem(src, err)})
	}
	ix := indexLines(src)
	var ps []Problem
	checkTable(raw, reflect.TypeFor[Scenario](), "", ix, &ps)
	if len(ps) > 0 {
		return Scenario{}, newError(file, ps)
	}

	// Decoding over the defaults keeps every key the file leaves out. A list
	// in the file replaces the default list (BurntSushi resets the slice's
	// length), it is not merged with it.
	s := Default()
	md, err := toml.Decode(src, &s)
	if err != nil { // not expected after checkTable, but never trust it blindly
		return Scenario{}, newError(file, []Problem{decodeProblem(src, err)})
	}
	for _, k := range md.Undecoded() { // likewise a safety net
		p := strings.Join(k, ".")
		ps = append(ps, Problem{Line: ix.line(p), Msg: fmt.Sprintf("unknown key %q", p)})
	}
	if len(ps) > 0 {
		return Scenario{}, newError(file, ps)
	}

	if s.Name == "" {
		s.Name = SafeName(baseName(file))
	}
	if len(s.Bugs) == 0 {
		s.Bugs = nil // bugs = [] is the default: none
	}
	for i := range s.Faults {
		s.Faults[i].Line = ix.line(fmt.Sprintf("faults[%d]", i))
	}
	ps = missingAt(raw, ix)
	ps = append(ps, zeroForWithoutHold(raw, s.Faults, ix)...)
	for _, p := range s.problems() {
		p.Line = ix.line(p.Field)
		ps = append(ps, p)
	}
	if len(ps) > 0 {
		return Scenario{}, newError(file, ps)
	}
	return s, nil
}

// Encode returns the whole resolved scenario as TOML: every key, faults
// included, in a fixed order, so that a run can record exactly what it ran
// and Parse(Encode()) gives the same scenario back (Fault.Line aside).
func (s Scenario) Encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := toml.NewEncoder(&buf)
	enc.Indent = ""
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encoding scenario %q: %w", s.Name, err)
	}
	return buf.Bytes(), nil
}

// newError sorts ps into line order, problems without a line last, and
// wraps them with file.
func newError(file string, ps []Problem) *Error {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		return lineKey(a.Line) - lineKey(b.Line)
	})
	return &Error{File: file, Problems: ps}
}

// lineKey orders lines, putting 0 (unknown) after every real line.
func lineKey(line int) int {
	if line <= 0 {
		return math.MaxInt32
	}
	return line
}

// baseName is the scenario name a file gives by default: "x" for "dir/x.toml".
func baseName(file string) string {
	if file == "" {
		return ""
	}
	return strings.TrimSuffix(filepath.Base(filepath.FromSlash(file)), ".toml")
}

// badTOML matches BurntSushi's errors that are not ParseErrors, such as
// `toml: line 3 (last key "seed"): incompatible types: ...`.
var badTOML = regexp.MustCompile(`^toml: (?:line (\d+) )?(?:\(last key "((?:[^"\\]|\\.)*)"\): )?(.*)$`)

// decodeProblem turns an error of BurntSushi's decoder on src into a
// problem, keeping its line and its short message.
func decodeProblem(src string, err error) Problem {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		// The error's byte offset is more exact than its line, which is one
		// too far when the offending character is a newline ("[nodes⏎").
		// An offset of 0 with a later line means the offset was not set.
		line := pe.Position.Line
		body := stripBOM(src)
		if pos := pe.Position; pos.Start >= 0 && pos.Start <= len(body) && (pos.Start > 0 || pos.Line <= 1) {
			line = 1 + strings.Count(body[:pos.Start], "\n")
		}
		msg := oneLine(pe.Message)
		if strings.HasSuffix(msg, "is out of range for int64") {
			msg += fmt.Sprintf(" (TOML integers are signed 64-bit: seeds and counts are at most %d)", int64(MaxSeed))
		}
		return Problem{Line: line, Msg: msg}
	}
	msg := oneLine(err.Error())
	if m := badTOML.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Field: m[2], Msg: m[3]}
	}
	return Problem{Msg: msg}
}

// oneLine keeps a message on one line, as every problem must be.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// missingAt reports faults without an at key: a fault's time has no
// sensible default, and a silent 0s would move it to the start of the run.
func missingAt(raw map[string]any, ix lineIndex) []Problem {
	var ps []Problem
	faults, _ := asArray(raw["faults"])
	for i, f := range faults {
		m, _ := f.(map[string]any)
		if _, ok := m["at"]; !ok {
			field := fmt.Sprintf("faults[%d].at", i)
			ps = append(ps, Problem{Line: ix.line(field), Field: field,
				Msg: `must be given (the virtual time of the fault, like at = "40ms"), got nothing`})
		}
	}
	return ps
}

// zeroForWithoutHold reports `for = "0s"` on a fault that is not a hold,
// which decoding cannot tell from no for at all (Validate reports any other
// for without hold).
func zeroForWithoutHold(raw map[string]any, fs []Fault, ix lineIndex) []Problem {
	var ps []Problem
	faults, _ := asArray(raw["faults"])
	for i, f := range faults {
		m, _ := f.(map[string]any)
		_, hasFor := m["for"]
		if !hasFor || i >= len(fs) || fs[i].Hold != nil || fs[i].For != 0 {
			continue
		}
		field := fmt.Sprintf("faults[%d].for", i)
		ps = append(ps, Problem{Line: ix.line(field), Field: field, Msg: fmt.Sprintf("only a hold takes for, got for = %q with %s", fs[i].For.String(), andList(fs[i].actions()))})
	}
	return ps
}

// durationType is special-cased by the checks: it is written as a string.
var durationType = reflect.TypeFor[Duration]()

// checkTable checks a decoded TOML table m against struct type t, whose toml
// tags are the allowed keys, exactly as spelt: it reports unknown keys and
// values of the wrong type, every one of them, with its line. path is the
// table's dotted path ("" at the top).
func checkTable(m map[string]any, t reflect.Type, path string, ix lineIndex, ps *[]Problem) {
	fields := map[string]reflect.Type{}
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("toml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = t.Field(i).Type
		names = append(names, name)
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		p := join(path, k)
		ft, ok := fields[k]
		if !ok {
			*ps = append(*ps, Problem{Line: ix.line(p),
				Msg: fmt.Sprintf("unknown key %q (expected one of: %s)", p, strings.Join(names, ", "))})
			continue
		}
		checkValue(m[k], ft, p, ix, ps)
	}
}

// checkValue checks that the decoded TOML value v fits Go type t.
func checkValue(v any, t reflect.Type, path string, ix lineIndex, ps *[]Problem) {
	bad := func(msg string) {
		*ps = append(*ps, Problem{Line: ix.line(path), Field: path, Msg: msg})
	}
	mismatch := func(expected string) {
		bad(fmt.Sprintf("expected %s, got %s", expected, describe(v)))
	}
	switch {
	case t == durationType:
		s, ok := v.(string)
		if !ok {
			mismatch(`a duration string (Go syntax like "250us", "5ms", "2s")`)
			return
		}
		var d Duration
		if err := d.UnmarshalText([]byte(s)); err != nil {
			bad(err.Error())
		}
	case t.Kind() == reflect.String:
		if _, ok := v.(string); !ok {
			mismatch("a string")
		}
	case t.Kind() == reflect.Int:
		if n, ok := v.(int64); !ok || int64(int(n)) != n {
			mismatch("an integer")
		}
	case t.Kind() == reflect.Uint64:
		if n, ok := v.(int64); !ok || n < 0 {
			mismatch("an integer >= 0")
		}
	case t.Kind() == reflect.Float64:
		switch v.(type) {
		case float64, int64:
		default:
			mismatch("a number")
		}
	case t.Kind() == reflect.Bool:
		if _, ok := v.(bool); !ok {
			mismatch("true or false")
		}
	case t.Kind() == reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			mismatch("a table")
			return
		}
		checkTable(m, t, path, ix, ps)
	case t.Kind() == reflect.Slice:
		elems, ok := asArray(v)
		if !ok {
			mismatch("an array")
			return
		}
		for i, e := range elems {
			checkValue(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), ix, ps)
		}
	default:
		panic(fmt.Sprintf("scenarios: field %s has type %s, which checkValue does not know", path, t))
	}
}

// asArray returns the elements of a decoded TOML array, which is []any, or
// []map[string]any for an array of tables ([[faults]]).
func asArray(v any) ([]any, bool) {
	switch a := v.(type) {
	case []any:
		return a, true
	case []map[string]any:
		out := make([]any, len(a))
		for i, m := range a {
			out[i] = m
		}
		return out, true
	}
	return nil, false
}

// describe renders a decoded TOML value for "got ..." in messages: its TOML
// type, and the value itself when it is short.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		if r := []rune(x); len(r) > 40 {
			x = string(r[:37]) + "..."
		}
		return fmt.Sprintf("string %q", x)
	case int64:
		return fmt.Sprintf("integer %d", x)
	case float64:
		return "float " + formatFloat(x)
	case bool:
		return fmt.Sprintf("boolean %t", x)
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	case time.Time:
		return "a date/time"
	}
	return fmt.Sprintf("a value of type %T", v)
}
