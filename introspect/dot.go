package introspect

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteDOT writes g in Graphviz's DOT language, for `dot -Tsvg`: each
// component a record with its inboxes on the left and its outboxes on
// the right, each connection a cluster, each link an edge from box to
// box. Passthrough links are dashed; a blocked component is red, and the
// inbox it waits on says FULL.
func WriteDOT(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	types := make(map[int]*Type, len(g.Types))
	for i := range g.Types {
		types[g.Types[i].ID] = &g.Types[i]
	}
	ports := map[uint64]*Component{} // by ID, for edges
	for i := range g.Components {
		ports[g.Components[i].ID] = &g.Components[i]
	}
	fmt.Fprintf(bw, "// kamaelia graph, version %d, taken %s\n", g.Version, g.Taken.Format("2006-01-02T15:04:05.000Z07:00"))
	bw.WriteString("digraph kamaelia {\n\trankdir=LR;\n\tnode [shape=record, fontname=\"Helvetica\", fontsize=10];\n\tedge [fontname=\"Helvetica\", fontsize=9];\n")
	inConn := map[uint64]bool{}
	for _, conn := range g.Connections {
		fmt.Fprintf(bw, "\tsubgraph cluster_%d {\n\t\tlabel=%s;\n\t\tstyle=rounded;\n",
			conn.ID, dotString(connLabel(conn)))
		for _, id := range conn.Components {
			if c := ports[id]; c != nil {
				writeNode(bw, "\t\t", c, types[c.Type])
				inConn[id] = true
			}
		}
		bw.WriteString("\t}\n")
	}
	for i := range g.Components {
		if c := &g.Components[i]; !inConn[c.ID] {
			writeNode(bw, "\t", c, types[c.Type])
		}
	}
	outside := map[string]bool{}
	for _, l := range g.Links {
		from := endpointPort(l.From, ports, types, false, outside, bw)
		to := endpointPort(l.To, ports, types, l.Kind != LinkOutward, outside, bw)
		style := ""
		if l.Kind != LinkNormal {
			style = " [style=dashed, color=\"#3366cc\", label=" + l.Kind + "]"
		}
		fmt.Fprintf(bw, "\t%s -> %s%s;\n", from, to, style)
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// writeNode writes one component as a record: inboxes | name | outboxes.
func writeNode(w *bufio.Writer, indent string, c *Component, t *Type) {
	var sb strings.Builder
	sb.WriteString("{{")
	for i, b := range c.Inboxes {
		if i > 0 {
			sb.WriteByte('|')
		}
		fmt.Fprintf(&sb, "<i%d> %s %d/%s", i, recordEscape(b.Name), b.Depth, limitText(t, i))
		if t != nil && i < len(t.Inboxes) && b.Full(t.Inboxes[i].Limit) {
			sb.WriteString(" FULL")
		}
	}
	sb.WriteString("}|")
	sb.WriteString(recordEscape(c.Name))
	sb.WriteString("\\n")
	sb.WriteString(recordEscape(c.State))
	if st := c.Stats; st != nil {
		if len(st.Counters) == 0 || st.BytesIn != 0 || st.BytesOut != 0 {
			fmt.Fprintf(&sb, "\\nin %d B, out %d B", st.BytesIn, st.BytesOut)
		}
		for i, k := range st.Counters {
			sep := ", "
			if i == 0 {
				sep = "\\n"
			}
			fmt.Fprintf(&sb, "%s%s %d", sep, recordEscape(k.Name), k.Value)
		}
	}
	sb.WriteString("|{")
	for i, b := range c.Outboxes {
		if i > 0 {
			sb.WriteByte('|')
		}
		fmt.Fprintf(&sb, "<o%d> %s %d", i, recordEscape(b.Name), b.Sent)
	}
	sb.WriteString("}}")
	attrs := ""
	if c.State == "blocked" {
		attrs = ", color=red, penwidth=2"
	}
	fmt.Fprintf(w, "%sc%d [label=%s%s];\n", indent, c.ID, dotString(sb.String()), attrs)
}

// endpointPort returns the DOT name of a box: a port of its component's
// record, or a plain node for a component not in the graph (written the
// first time it is met).
func endpointPort(e Endpoint, comps map[uint64]*Component, types map[int]*Type, inbox bool, outside map[string]bool, w *bufio.Writer) string {
	if c := comps[e.Component]; c != nil {
		boxes, prefix, side := c.Inboxes, "i", ":w"
		if !inbox {
			boxes, prefix, side = c.Outboxes, "o", ":e"
		}
		for i, b := range boxes {
			if b.Name == e.Box {
				return "c" + strconv.FormatUint(c.ID, 10) + ":" + prefix + strconv.Itoa(i) + side
			}
		}
		return "c" + strconv.FormatUint(c.ID, 10)
	}
	name := dotString("outside " + e.Label)
	if !outside[name] {
		outside[name] = true
		fmt.Fprintf(w, "\t%s [shape=plaintext, label=%s];\n", name, dotString(e.Label))
	}
	return name
}

func limitText(t *Type, i int) string {
	if t == nil || i >= len(t.Inboxes) || t.Inboxes[i].Limit == nil || t.Inboxes[i].Limit.Messages < 0 {
		return "∞"
	}
	return strconv.Itoa(t.Inboxes[i].Limit.Messages)
}

func connLabel(c Connection) string {
	s := "connection " + strconv.FormatUint(c.ID, 10)
	if c.Remote != "" {
		s += " " + c.Remote
	}
	return fmt.Sprintf("%s (in %d B, out %d B)", s, c.BytesIn, c.BytesOut)
}

// recordEscape escapes the characters that mean something in a record
// label.
func recordEscape(s string) string {
	if !strings.ContainsAny(s, "{}|<> \\") {
		return s
	}
	var sb strings.Builder
	for _, r := range s {
		switch r {
		case '{', '}', '|', '<', '>', ' ', '\\':
			sb.WriteByte('\\')
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

// dotString quotes s as a DOT string. Backslashes are kept as they are,
// since record labels and escape sequences such as \n use them; quotes
// and line ends are escaped.
func dotString(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			sb.WriteString(`\"`)
		case '\n', '\r':
			sb.WriteString(`\n`)
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
