package office

import (
	"fmt"
	"io"
	"os"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"
)

// A config file is written by an office's admin, but it may come from
// anywhere (a template, a colleague's mail). Before it is decoded, it must
// fit a budget, so a small file cannot make check-config or serve take
// gigabytes: YAML aliases of anchors that hold aliases grow exponentially
// ("billion laughs"), and thousands of nested brackets cost deep recursion.
const (
	// MaxConfigBytes is the largest config file read: a town with a hundred
	// concerns writes some 50 KB.
	MaxConfigBytes = 256 << 10
	// maxConfigAliases is how many aliases (*name) a config may use.
	maxConfigAliases = 32
	// maxConfigNesting is how deeply [ ] and { } may nest.
	maxConfigNesting = 32
	// maxConfigColumn bounds block nesting: no key may start further right.
	maxConfigColumn = 256
)

// ReadConfigFile reads a config file of at most MaxConfigBytes.
func ReadConfigFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return data, nil
}

// overBudgetTokens checks the size and the nesting of the file, before
// anything is built from it: bracket depth from the bytes (a YAML lexer
// spends hundreds of bytes on each of 200,000 brackets), block depth from
// the tokens. It returns at most one problem: the first place over budget.
func overBudgetTokens(data []byte) []Problem {
	if len(data) > MaxConfigBytes {
		return []Problem{{Line: 1, Column: 1, Why: fmt.Sprintf("the file is larger than %d KB; a config is far smaller", MaxConfigBytes>>10)}}
	}
	if line, col, ok := bracketsTooDeep(data); ok {
		return []Problem{{Line: line, Column: col, Why: fmt.Sprintf("brackets are nested more than %d deep", maxConfigNesting)}}
	}
	for _, tk := range lexer.Tokenize(string(data)) {
		if tk.Type == token.MappingValueType && tk.Position != nil && tk.Position.Column > maxConfigColumn {
			return []Problem{problemAt(tk, fmt.Sprintf("a key starts beyond column %d; the file is nested too deeply", maxConfigColumn))}
		}
	}
	return nil
}

// bracketsTooDeep finds the first [ or { nested deeper than the budget,
// outside comments and quoted strings. It may count a bracket inside a
// plain scalar too; no config nests anything 32 deep.
func bracketsTooDeep(data []byte) (line, col int, found bool) {
	depth, line, col := 0, 1, 0
	var quote byte
	comment := false
	for i, c := range data {
		col++
		switch {
		case c == '\n':
			line, col, comment = line+1, 0, false
		case comment:
		case quote != 0:
			if c == quote && (quote == '\'' || i == 0 || data[i-1] != '\\') {
				quote = 0
			}
		case c == '#' && (i == 0 || data[i-1] == ' ' || data[i-1] == '\t' || data[i-1] == '\n'):
			comment = true
		case c == '"' || c == '\'':
			quote = c
		case c == '[' || c == '{':
			if depth++; depth > maxConfigNesting {
				return line, col, true
			}
		case c == ']' || c == '}':
			depth = max(depth-1, 0)
		}
	}
	return 0, 0, false
}

// overBudgetAliases refuses more than a few aliases, and any alias inside an
// anchored value: nested aliases are how a small file expands to gigabytes.
func overBudgetAliases(file *ast.File) []Problem {
	var problems []Problem
	aliases := 0
	for _, doc := range file.Docs {
		ast.Walk(visitFunc(func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AliasNode:
				aliases++
				if aliases == maxConfigAliases+1 {
					problems = append(problems, problemAt(n.GetToken(), fmt.Sprintf("more than %d aliases (*name); write the values out", maxConfigAliases)))
				}
			case *ast.AnchorNode:
				if inner := firstAlias(n.Value); inner != nil {
					problems = append(problems, problemAt(inner.GetToken(), "an alias inside an anchored value (&name) is not allowed: nested aliases can expand without bound"))
					return false
				}
			}
			return true
		}), doc)
	}
	return problems
}

// firstAlias returns the first alias in node, or nil.
func firstAlias(node ast.Node) ast.Node {
	var found ast.Node
	if node == nil {
		return nil
	}
	ast.Walk(visitFunc(func(n ast.Node) bool {
		if _, ok := n.(*ast.AliasNode); ok && found == nil {
			found = n
		}
		return found == nil
	}), node)
	return found
}

// visitFunc adapts a function to ast.Visitor; returning false skips the
// node's children.
type visitFunc func(ast.Node) bool

func (f visitFunc) Visit(n ast.Node) ast.Visitor {
	if n == nil || !f(n) {
		return nil
	}
	return f
}

// problemAt is a problem at a token's position.
func problemAt(tk *token.Token, why string) Problem {
	p := Problem{Line: 1, Column: 1, Why: why}
	if tk != nil && tk.Position != nil {
		p.Line, p.Column = tk.Position.Line, tk.Position.Column
	}
	return p
}
