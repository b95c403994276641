package office

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

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
	for path, at := range positions {
		if at.Line == pos.Line && (p.Field == "" || at.Column == pos.Column) {
			p.Field = path
		}
	}
	return p
}

// checkFields parses the YAML and walks it alongside the Go type of target.
// It returns the position of every field (by path) and a problem for each
// key that the type does not know, so all unknown fields are listed at once,
// not only the first.
func checkFields(data []byte, target any) (map[string]*token.Position, []Problem) {
	if problems := overBudgetTokens(data); problems != nil {
		return nil, problems
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, []Problem{problemFromYAML(err, nil)}
	}
	if problems := overBudgetAliases(file); problems != nil {
		return nil, problems
	}
	w := fieldWalker{positions: map[string]*token.Position{}}
	for _, doc := range file.Docs {
		if doc.Body != nil {
			w.walk("", doc.Body, reflect.TypeOf(target).Elem())
		}
	}
	return w.positions, w.problems
}

type fieldWalker struct {
	positions map[string]*token.Position
	problems  []Problem
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
		w.walk(sub, mv.Value, ft)
	case reflect.Map:
		w.positions[sub] = mv.Key.GetToken().Position
		w.walk(sub, mv.Value, typ.Elem())
	}
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
