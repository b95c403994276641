package office

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Problem is one thing wrong in a config file.
type Problem struct {
	Line, Column int
	// Field is the path of the field, e.g. "concerns[2].minutes".
	Field string
	Why   string
}

func (p Problem) String() string {
	field := p.Field
	if field == "" {
		field = "(file)"
	}
	return fmt.Sprintf("line %d, column %d: %s: %s", p.Line, p.Column, field, p.Why)
}

// ConfigError lists every problem found in a config file.
type ConfigError struct {
	File     string
	Problems []Problem
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d problem(s):", e.File, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Checker collects the problems of a config, finding each field's position
// in the file.
type Checker struct {
	positions map[string]*token.Position
	problems  []Problem
	parent    *Checker // set for a checker Under a path
	prefix    string
}

// Under returns a checker whose paths lie under prefix ("offices[1]."),
// reporting to v.
func (v *Checker) Under(prefix string) *Checker { return &Checker{parent: v, prefix: prefix} }

// Add records a problem with the field at path (e.g. "concerns[1].minutes").
// A field that is not in the file is reported at its nearest parent.
func (v *Checker) Add(path, why string) {
	if v.parent != nil {
		v.parent.Add(v.prefix+path, why)
		return
	}
	p := Problem{Field: path, Why: why}
	for q := path; ; {
		if pos, ok := v.positions[q]; ok {
			p.Line, p.Column = pos.Line, pos.Column
			break
		}
		i := strings.LastIndexAny(q, ".[")
		if i < 0 {
			p.Line, p.Column = 1, 1
			break
		}
		q = q[:i]
	}
	v.problems = append(v.problems, p)
}

// problemFromYAML turns a goccy/go-yaml error into a Problem with its
// position, naming the field found at that position.
func problemFromYAML(err error, positions map[string]*token.Position) Problem {
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		return Problem{Line: 1, Column: 1, Why: err.Error()}
	}
	pos := ye.GetToken().Position
	p := Problem{Line: pos.Line, Column: pos.Column, Why: ye.GetMessage()}
	if strings.Contains(p.Why, "'\t'") {
		p.Why = "a tab: YAML indents with spaces only"
	}
	for path, at := range positions {
		if at.Line == pos.Line && (p.Field == "" || at.Column == pos.Column) {
			p.Field = path
		}
	}
	return p
}

// fields is what checkFields learns of a file.
type fields struct {
	positions map[string]*token.Position // of every field, by path
	problems  []Problem                  // unknown fields and values of the wrong type
	mistyped  map[string]bool            // the paths of values of the wrong type
	data      []byte                     // the file to decode: with mistyped values set to null
	empty     bool                       // no document: every default stands
}

// checkFields parses the YAML and walks it alongside the Go type of target.
// It finds the position of every field (by path) and a problem for each
// key that the type does not know and each value of the wrong type, so all
// are listed at once, not only the first; fields.positions is nil when
// the file does not parse.
func checkFields(data []byte, target any) fields {
	if problems := overBudgetTokens(data); problems != nil {
		return fields{problems: problems}
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return fields{problems: []Problem{problemFromYAML(err, nil)}}
	}
	if problems := overBudgetAliases(file); problems != nil {
		return fields{problems: problems}
	}
	w := fieldWalker{positions: map[string]*token.Position{}, mistyped: map[string]bool{}}
	empty := true
	for _, doc := range file.Docs {
		if doc.Body != nil {
			empty = false
			w.walk("", doc.Body, reflect.TypeOf(target).Elem())
		}
	}
	f := fields{positions: w.positions, problems: w.problems, mistyped: w.mistyped, data: data, empty: empty}
	if len(w.mistyped) > 0 {
		f.data = []byte(file.String())
	}
	return f
}

type fieldWalker struct {
	positions map[string]*token.Position
	problems  []Problem
	// mistyped are the fields whose value has the wrong type, each listed
	// as a problem; their values are set to null so the rest of the file
	// still decodes and is checked.
	mistyped map[string]bool
}

func (w *fieldWalker) walk(path string, node ast.Node, typ reflect.Type) {
	_, isMap := node.(*ast.MappingNode)
	_, known := w.positions[path]
	if tk := node.GetToken(); tk != nil && path != "" && !(isMap && known) {
		w.positions[path] = tk.Position // a scalar's own position beats its key's
	}
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch n := node.(type) {
	case *ast.MappingNode:
		for _, mv := range n.Values {
			w.walkKey(path, mv, typ)
		}
	case *ast.MappingValueNode:
		w.walkKey(path, n, typ)
	case *ast.SequenceNode:
		if typ.Kind() != reflect.Slice {
			return // a type error; the decoder reports it
		}
		for i, item := range n.Values {
			w.walk(fmt.Sprintf("%s[%d]", path, i), item, typ.Elem())
		}
	}
}

func (w *fieldWalker) walkKey(path string, mv *ast.MappingValueNode, typ reflect.Type) {
	key := strings.TrimSpace(mv.Key.GetToken().Value)
	sub := key
	if path != "" {
		sub = path + "." + key
	}
	switch typ.Kind() {
	case reflect.Struct:
		ft, ok := fieldByTag(typ, key)
		if !ok {
			pos := mv.Key.GetToken().Position
			w.problems = append(w.problems, Problem{Line: pos.Line, Column: pos.Column, Field: sub,
				Why: fmt.Sprintf("unknown field %q (known here: %s)", key, strings.Join(tagsOf(typ), ", "))})
			return
		}
		w.positions[sub] = mv.Key.GetToken().Position
		if why := scalarMistake(mv.Value, ft); why != "" {
			pos := mv.Value.GetToken().Position
			w.problems = append(w.problems, Problem{Line: pos.Line, Column: pos.Column, Field: sub, Why: why})
			w.mistyped[sub] = true
			mv.Value = ast.Null(token.New("null", "null", pos))
			return
		}
		w.walk(sub, mv.Value, ft)
	case reflect.Map:
		w.positions[sub] = mv.Key.GetToken().Position
		w.walk(sub, mv.Value, typ.Elem())
	}
}

var durationType = reflect.TypeOf(time.Duration(0))

// scalarMistake says, in an admin's words, why a scalar value cannot be
// read as a field of type typ; empty if it can (or if the decoder is left
// to judge it: lists, maps, texts).
func scalarMistake(node ast.Node, typ reflect.Type) string {
	if _, isNull := node.(*ast.NullNode); isNull {
		return ""
	}
	tk := node.GetToken()
	if tk == nil {
		return ""
	}
	value := tk.Value
	switch {
	case typ == durationType:
		if _, err := time.ParseDuration(value); err != nil {
			if _, isInt := node.(*ast.IntegerNode); isInt && value == "0" {
				return ""
			}
			return fmt.Sprintf("%q is not a length of time: write it like 90s, 15m, 1h or 1h30m", value)
		}
	case typ.Kind() >= reflect.Int && typ.Kind() <= reflect.Uint64:
		if _, ok := node.(*ast.IntegerNode); !ok {
			return fmt.Sprintf("%q is not a whole number: write digits, like 15", value)
		}
	case typ.Kind() == reflect.Float32 || typ.Kind() == reflect.Float64:
		switch node.(type) {
		case *ast.IntegerNode, *ast.FloatNode:
		default:
			return fmt.Sprintf("%q is not a number: write it like 0.25", value)
		}
	case typ.Kind() == reflect.Bool:
		if _, ok := node.(*ast.BoolNode); !ok {
			return fmt.Sprintf("%q is not true or false", value)
		}
	}
	return ""
}

// fieldByTag finds the field a YAML key names, looking into inline structs.
func fieldByTag(typ reflect.Type, key string) (reflect.Type, bool) {
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if inline(f, name, opts) {
			if t, ok := fieldByTag(f.Type, key); ok {
				return t, true
			}
			continue
		}
		if name == key && name != "-" {
			return f.Type, true
		}
	}
	return nil, false
}

func inline(f reflect.StructField, name, opts string) bool {
	return f.Type.Kind() == reflect.Struct && name == "" && (opts == "inline" || f.Anonymous)
}

func tagsOf(typ reflect.Type) []string {
	var tags []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if inline(f, name, opts) {
			tags = append(tags, tagsOf(f.Type)...)
		} else if name != "" && name != "-" {
			tags = append(tags, name)
		}
	}
	return tags
}
