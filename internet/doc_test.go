package internet_test

import (
	"go/ast"
	"go/build"
	"go/doc"
	"go/parser"
	"go/token"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kamaelia-go/kamaelia/axon"
	"github.com/kamaelia-go/kamaelia/internet"
)

// packageDoc parses the package's own source files (those built on this
// platform) and returns their documentation.
func packageDoc(t *testing.T) *doc.Package {
	t.Helper()
	bp, err := build.Default.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range bp.GoFiles {
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	p, err := doc.NewFromFiles(fset, files, bp.ImportPath)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// typeDoc returns the doc comment of the named type.
func typeDoc(t *testing.T, p *doc.Package, name string) string {
	t.Helper()
	for _, ty := range p.Types {
		if ty.Name == name {
			return ty.Doc
		}
	}
	t.Fatalf("no type %s", name)
	return ""
}

// boxSection returns the box names listed in a doc comment's table
// under a line reading heading ("Inboxes:" or "Outboxes:"): the first
// word of each line of the indented block that follows.
func boxSection(text, heading string) []string {
	lines := strings.Split(text, "\n")
	i := slices.Index(lines, heading)
	if i < 0 {
		return nil
	}
	var names []string
	for _, l := range lines[i+1:] {
		switch {
		case l == "" && names == nil:
			continue // the blank line before the block
		case !strings.HasPrefix(l, "\t"):
			return names
		case strings.HasPrefix(l, "\t "), strings.HasPrefix(l, "\t\t"):
			continue // a description carried on
		}
		names = append(names, strings.Fields(l)[0])
	}
	return names
}

// components returns one of each component, made but not activated.
func oneOfEach(t *testing.T) map[string]*axon.Core {
	t.Helper()
	a, _ := net.Pipe()
	t.Cleanup(func() { a.Close() })
	tcp, err := internet.NewTCPServer(0, internet.Host("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tcp.Close() })
	core, err := internet.NewServerCore(echoFactory, 0, internet.Host("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.TCPServer().Close() })
	single, err := internet.NewSingleServer(0, internet.Host("127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { single.Shutdown(t.Context()) })
	return map[string]*axon.Core{
		"CSA":          internet.NewCSA(a).Core,
		"TCPClient":    internet.NewTCPClient("127.0.0.1", 1).Core,
		"TCPServer":    tcp.Core,
		"ServerCore":   core.Core,
		"SingleServer": single.Core,
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	return slices.Equal(a, b)
}

// TestBoxTablesMatchTheBoxes: the boxes each component declares are the
// ones its doc comment's tables list, the ones the package
// documentation's box table lists, and each is named in the package
// documentation's table of Kamaelia's boxes, so none of them can drift.
func TestBoxTablesMatchTheBoxes(t *testing.T) {
	t.Parallel()
	p := packageDoc(t)
	table := packageBoxTable(t, p.Doc)
	kamaelia := kamaeliaBlocks(p.Doc)
	for name, c := range oneOfEach(t) {
		t.Run(name, func(t *testing.T) {
			ins, outs := c.InboxNames(), c.OutboxNames()
			td := typeDoc(t, p, name)
			if got := boxSection(td, "Inboxes:"); !sameSet(got, ins) {
				t.Errorf("%s's doc comment lists inboxes %v; it has %v", name, got, ins)
			}
			if got := boxSection(td, "Outboxes:"); !sameSet(got, outs) {
				t.Errorf("%s's doc comment lists outboxes %v; it has %v", name, got, outs)
			}
			row, ok := table[name]
			switch {
			case !ok:
				t.Errorf("the package's box table has no row for %s", name)
			case !sameSet(row[0], ins) || !sameSet(row[1], outs):
				t.Errorf("the package's box table lists %v and %v for %s; it has %v and %v", row[0], row[1], name, ins, outs)
			}
			words := kamaelia[name]
			for _, box := range append(ins, outs...) {
				if !words[box] {
					t.Errorf("the package's table of Kamaelia's boxes does not name %s's box %q", name, box)
				}
			}
		})
	}
}

// packageBoxTable parses the package documentation's box table: each
// row is a component, its inboxes and its outboxes, in columns at least
// two spaces apart.
func packageBoxTable(t *testing.T, text string) map[string][2][]string {
	t.Helper()
	cols := regexp.MustCompile(` {2,}`)
	rows := map[string][2][]string{}
	in := false
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, "\tComponent") && strings.Contains(l, "Inboxes") {
			in = true
			continue
		}
		if !in {
			continue
		}
		if !strings.HasPrefix(l, "\t") {
			break
		}
		f := cols.Split(strings.TrimPrefix(l, "\t"), -1)
		if len(f) != 3 {
			t.Fatalf("box table row %q: want three columns", l)
		}
		rows[f[0]] = [2][]string{strings.Split(f[1], ", "), strings.Split(f[2], ", ")}
	}
	if len(rows) == 0 {
		t.Fatal("no box table in the package documentation")
	}
	return rows
}

// kamaeliaBlocks returns, for each component, the words of its block in
// the package documentation's table of Kamaelia's boxes: the block
// starts at the line naming Kamaelia's component and runs over the
// indented lines after it.
func kamaeliaBlocks(text string) map[string]map[string]bool {
	heads := map[string]string{
		"TCPClient(": "TCPClient", "TCPServer(": "TCPServer", "ConnectedSocketAdapter(": "CSA",
		"ServerCore(": "ServerCore", "SingleServer(": "SingleServer",
	}
	word := regexp.MustCompile(`[A-Za-z_][A-Za-z_]*`)
	blocks := map[string]map[string]bool{}
	var cur map[string]bool
	for _, l := range strings.Split(text, "\n") {
		if !strings.HasPrefix(l, "\t") {
			cur = nil
			continue
		}
		body := strings.TrimPrefix(l, "\t")
		if !strings.HasPrefix(body, " ") {
			cur = nil
			for head, name := range heads {
				if strings.HasPrefix(body, head) {
					cur = map[string]bool{}
					blocks[name] = cur
				}
			}
		}
		if cur != nil {
			for _, w := range word.FindAllString(body, -1) {
				cur[w] = true
			}
		}
	}
	return blocks
}

// section returns the text of the package documentation's section with
// the given heading, up to the next heading.
func section(t *testing.T, text, heading string) string {
	t.Helper()
	_, after, ok := strings.Cut(text, "# "+heading+"\n")
	if !ok {
		t.Fatalf("the package documentation has no section %q", heading)
	}
	if i := strings.Index(after, "\n# "); i >= 0 {
		after = after[:i]
	}
	return after
}

// TestStopTableIsBacked: every row of the package documentation's stop
// table is a subtest of TestStopTable, and every subtest a row.
func TestStopTableIsBacked(t *testing.T) {
	t.Parallel()
	text := section(t, packageDoc(t).Doc, "Stopping, and the Err a component ends with")
	cols := regexp.MustCompile(` {2,}`)
	var documented []string
	var group []string
	for _, l := range strings.Split(text, "\n") {
		switch {
		case !strings.HasPrefix(l, "\t"):
			group = nil
		case !strings.HasPrefix(l, "\t "): // a group of components
			group = strings.Split(strings.TrimPrefix(l, "\t"), ", ")
		case strings.HasPrefix(l, "\t  ") && !strings.HasPrefix(l, "\t   "): // a row
			way := cols.Split(strings.TrimPrefix(l, "\t  "), -1)[0]
			for _, c := range group {
				documented = append(documented, c+"/"+way)
			}
		}
	}
	var tested []string
	for _, rows := range [][]stopRow{csaStopRows(), clientStopRows(), serverStopRows()} {
		for _, r := range rows {
			tested = append(tested, r.name)
		}
	}
	for _, name := range documented {
		if !slices.Contains(tested, name) {
			t.Errorf("the stop table's row %q has no subtest in TestStopTable", name)
		}
	}
	for _, name := range tested {
		if !slices.Contains(documented, name) {
			t.Errorf("TestStopTable's subtest %q is not a row of the stop table", name)
		}
	}
}

// TestGuaranteesNameRealTests: every test the package documentation
// names exists: in this package, or in the one named after it in
// parentheses, as in "TestPassthroughKeepsOrderWhileLinksAreMade (axon)".
func TestGuaranteesNameRealTests(t *testing.T) {
	t.Parallel()
	named := regexp.MustCompile(`\b((?:Test|Fuzz)[A-Z]\w*)(?: \(([\w/]+)\))?`).FindAllStringSubmatch(packageDoc(t).Doc, -1)
	if len(named) == 0 {
		t.Fatal("the package documentation names no test")
	}
	tests := map[string]map[string]bool{} // by directory
	for _, m := range named {
		name, dir := m[1], "."
		if m[2] != "" {
			dir = filepath.Join("..", m[2])
		}
		if tests[dir] == nil {
			tests[dir] = testFuncs(t, dir)
		}
		if !tests[dir][name] {
			t.Errorf("the package documentation names %s, which does not exist in %s", name, dir)
		}
	}
}

// testFuncs returns the names of the top-level functions in dir's test
// files.
func testFuncs(t *testing.T, dir string) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	funcs := map[string]bool{}
	names, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if len(names) == 0 {
		t.Fatalf("no test files in %s", dir)
	}
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil {
				funcs[fn.Name.Name] = true
			}
		}
	}
	return funcs
}
