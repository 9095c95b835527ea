package scenarios

import (
	"fmt"
	"strings"
)

// lineIndex maps the dotted path of every key, table and array element of a
// TOML text to the line where it first appears: "nodes" to the line of
// [nodes], "workload.mix.get" to the line of `mix = { get = 1 }`,
// "faults[1]" to the line of the second [[faults]] header, and
// "faults[1].partition[0][1]" to the line of that array element.
//
// It exists because BurntSushi/toml does not report where keys are. It is a
// tolerant scanner, not a parser: it runs on text that the TOML parser has
// already accepted, and on anything else it skips ahead rather than fail,
// so a wrong guess can only cost a line number, never an error or a panic.
type lineIndex map[string]int

// line returns the line of path, or of its nearest enclosing key, table or
// element that appears in the text ("faults[0].at" falls back to
// "faults[0]", then "faults"); 0 if none does.
func (ix lineIndex) line(path string) int {
	for path != "" {
		if l, ok := ix[path]; ok {
			return l
		}
		cut := strings.LastIndexAny(path, ".[")
		if cut < 0 {
			break
		}
		path = path[:cut]
	}
	return 0
}

// indexLines scans src and returns its lineIndex.
func indexLines(src string) lineIndex {
	sc := &lineScanner{
		src:    stripBOM(src),
		line:   1,
		index:  lineIndex{},
		arrays: map[string]int{},
	}
	sc.document()
	return sc.index
}

// lineScanner walks a TOML text, keeping the current line and the path of
// the current table.
type lineScanner struct {
	src   string
	pos   int
	line  int
	index lineIndex
	// arrays counts the elements of each array of tables seen so far, by its
	// resolved path ("faults", "faults[0].sub"), so that headers of later
	// elements get the next index.
	arrays map[string]int
}

// document scans the top level: headers and key/value lines. Every pass of
// the loop consumes at least one byte or ends it, so it always terminates.
func (sc *lineScanner) document() {
	table := ""
	for {
		sc.skipBlank(true)
		if sc.eof() {
			return
		}
		start := sc.pos
		if sc.peek() == '[' {
			if p, ok := sc.header(); ok {
				table = p
			}
		} else {
			sc.keyValue(table)
		}
		if sc.pos == start {
			sc.pos++
		}
		sc.skipLine()
	}
}

// header scans "[a.b]" or "[[a.b]]" and returns the resolved path of the
// table it opens ("faults[2]" for the third [[faults]]).
func (sc *lineScanner) header() (string, bool) {
	line := sc.line
	sc.pos++ // '['
	array := sc.peek() == '['
	if array {
		sc.pos++
	}
	keys := sc.key()
	if len(keys) == 0 {
		return "", false
	}
	var path string
	if array {
		parent := sc.resolve(keys[:len(keys)-1])
		base := join(parent, keys[len(keys)-1])
		n := sc.arrays[base]
		sc.arrays[base] = n + 1
		sc.record(base, line)
		path = fmt.Sprintf("%s[%d]", base, n)
	} else {
		path = sc.resolve(keys)
	}
	sc.record(path, line)
	return path, true
}

// resolve turns header keys into a path, adding the current index after
// each prefix that is an array of tables: [faults.x] after two [[faults]]
// is "faults[1].x".
func (sc *lineScanner) resolve(keys []string) string {
	path := ""
	for _, k := range keys {
		path = join(path, k)
		if n, ok := sc.arrays[path]; ok {
			path = fmt.Sprintf("%s[%d]", path, n-1)
		}
		sc.record(path, sc.line)
	}
	return path
}

// keyValue scans "a.b = value" inside the table at path table.
func (sc *lineScanner) keyValue(table string) {
	line := sc.line
	keys := sc.key()
	if len(keys) == 0 {
		return
	}
	sc.skipBlank(false)
	if sc.peek() != '=' {
		return
	}
	sc.pos++
	path := table
	for _, k := range keys {
		path = join(path, k)
		sc.record(path, line)
	}
	sc.value(path)
}

// value scans one value of the key at path: an inline table, an array (whose
// elements are path[0], path[1], ...), a string, or any other scalar.
func (sc *lineScanner) value(path string) {
	sc.skipBlank(false)
	switch sc.peek() {
	case '{':
		sc.pos++
		for {
			sc.skipBlank(true)
			if sc.eof() || sc.peek() == '}' {
				sc.pos++
				return
			}
			start := sc.pos
			sc.keyValue(path)
			sc.skipBlank(true)
			if sc.peek() == ',' {
				sc.pos++
			} else if sc.pos == start {
				return // not an inline table after all; give up on it
			}
		}
	case '[':
		sc.pos++
		for i := 0; ; i++ {
			sc.skipBlank(true)
			if sc.eof() || sc.peek() == ']' {
				sc.pos++
				return
			}
			elem := fmt.Sprintf("%s[%d]", path, i)
			sc.record(elem, sc.line)
			start := sc.pos
			sc.value(elem)
			sc.skipBlank(true)
			if sc.peek() == ',' {
				sc.pos++
			} else if sc.pos == start {
				return
			}
		}
	case '"', '\'':
		sc.str()
	default:
		for !sc.eof() && !strings.ContainsRune(",]}#\n", rune(sc.peek())) {
			sc.pos++
		}
	}
}

// key scans a dotted key of bare and quoted parts, "a . b" and "a.'b.c'"
// included; nil if there is none.
func (sc *lineScanner) key() []string {
	var keys []string
	for {
		sc.skipBlank(false)
		var k string
		switch c := sc.peek(); {
		case c == '"' || c == '\'':
			start := sc.pos
			sc.str()
			k = unquote(sc.src[start:sc.pos])
		case isBare(c):
			start := sc.pos
			for !sc.eof() && isBare(sc.peek()) {
				sc.pos++
			}
			k = sc.src[start:sc.pos]
		default:
			return keys
		}
		keys = append(keys, k)
		sc.skipBlank(false)
		if sc.peek() != '.' {
			return keys
		}
		sc.pos++
	}
}

// str skips one string of any of TOML's four kinds, counting the newlines
// of multi-line strings.
func (sc *lineScanner) str() {
	q := sc.peek()
	delim := string(q)
	if strings.HasPrefix(sc.src[sc.pos:], strings.Repeat(delim, 3)) {
		delim = strings.Repeat(delim, 3)
	}
	sc.pos += len(delim)
	for !sc.eof() {
		c := sc.peek()
		switch {
		case c == '\\' && q == '"':
			sc.pos++
			if !sc.eof() && sc.peek() == '\n' {
				sc.line++
			}
		case c == '\n':
			sc.line++
			if len(delim) == 1 {
				sc.pos++
				return // unterminated one-line string
			}
		case strings.HasPrefix(sc.src[sc.pos:], delim):
			sc.pos += len(delim)
			// A multi-line string may end with up to two extra quotes.
			for i := 0; i < 2 && len(delim) == 3 && !sc.eof() && sc.peek() == q; i++ {
				sc.pos++
			}
			return
		}
		if !sc.eof() {
			sc.pos++
		}
	}
}

// skipBlank skips spaces, tabs, carriage returns and comments, and newlines
// too when newlines is true.
func (sc *lineScanner) skipBlank(newlines bool) {
	for !sc.eof() {
		switch sc.peek() {
		case ' ', '\t', '\r':
			sc.pos++
		case '\n':
			if !newlines {
				return
			}
			sc.line++
			sc.pos++
		case '#':
			for !sc.eof() && sc.peek() != '\n' {
				sc.pos++
			}
		default:
			return
		}
	}
}

// skipLine skips the rest of the current line (what is left there after a
// header or a value is a comment or garbage) and its newline.
func (sc *lineScanner) skipLine() {
	for !sc.eof() && sc.peek() != '\n' {
		sc.pos++
	}
}

// record notes the line of path unless it was already seen.
func (sc *lineScanner) record(path string, line int) {
	if _, ok := sc.index[path]; !ok {
		sc.index[path] = line
	}
}

func (sc *lineScanner) eof() bool { return sc.pos >= len(sc.src) }

// peek returns the current byte, or 0 at the end of the text, so that a
// truncated value ends the scan instead of indexing past the end.
func (sc *lineScanner) peek() byte {
	if sc.eof() {
		return 0
	}
	return sc.src[sc.pos]
}

// isBare says whether c may appear in a bare key.
func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// unquote strips the quotes of a quoted key. Escapes are left as written:
// no key of the format needs them, and an unknown key only has to be found.
func unquote(s string) string {
	if len(s) >= 2 {
		return s[1 : len(s)-1]
	}
	return s
}

// stripBOM removes a byte order mark as BurntSushi's parser does, so that
// byte offsets and lines agree with its own.
func stripBOM(src string) string {
	for _, bom := range []string{"\xff\xfe", "\xfe\xff", "\xef\xbb\xbf"} {
		if s, ok := strings.CutPrefix(src, bom); ok {
			return s
		}
	}
	return src
}

// join appends key k to path.
func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}
