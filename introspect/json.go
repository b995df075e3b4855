package introspect

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// MarshalJSON encodes the graph as its JSON document: what encoding/json
// makes of it (with HTML escaping off), several times faster, because a
// live page asks for a graph of every connection once a second.
func (g *Graph) MarshalJSON() ([]byte, error) {
	return g.AppendJSON(nil), nil
}

// AppendJSON appends the graph's JSON document to buf and returns the
// extended buffer.
func (g *Graph) AppendJSON(buf []byte) []byte {
	buf = append(buf, `{"version":`...)
	buf = strconv.AppendInt(buf, int64(g.Version), 10)
	buf = append(buf, `,"taken":"`...)
	buf = g.Taken.AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","types":`...)
	buf = appendList(buf, g.Types, appendType)
	buf = append(buf, `,"components":`...)
	buf = appendList(buf, g.Components, appendComponent)
	buf = append(buf, `,"connections":`...)
	buf = appendList(buf, g.Connections, appendConnection)
	buf = append(buf, `,"links":`...)
	buf = appendList(buf, g.Links, appendLink)
	return append(buf, '}')
}

// appendList appends a JSON array (null for a nil slice, as
// encoding/json does).
func appendList[T any](buf []byte, list []T, one func([]byte, *T) []byte) []byte {
	if list == nil {
		return append(buf, "null"...)
	}
	buf = append(buf, '[')
	for i := range list {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = one(buf, &list[i])
	}
	return append(buf, ']')
}

func appendType(buf []byte, t *Type) []byte {
	buf = append(buf, `{"id":`...)
	buf = strconv.AppendInt(buf, int64(t.ID), 10)
	buf = append(buf, `,"kind":`...)
	buf = appendString(buf, t.Kind)
	buf = append(buf, `,"reactive":`...)
	buf = strconv.AppendBool(buf, t.Reactive)
	buf = append(buf, `,"inboxes":`...)
	buf = appendList(buf, t.Inboxes, appendBoxType)
	buf = append(buf, `,"outboxes":`...)
	buf = appendList(buf, t.Outboxes, appendBoxType)
	return append(buf, '}')
}

func appendBoxType(buf []byte, b *BoxType) []byte {
	buf = append(buf, `{"name":`...)
	buf = appendString(buf, b.Name)
	if b.Doc != "" {
		buf = append(buf, `,"doc":`...)
		buf = appendString(buf, b.Doc)
	}
	if b.Limit != nil {
		buf = append(buf, `,"limit":{"messages":`...)
		buf = strconv.AppendInt(buf, int64(b.Limit.Messages), 10)
		if b.Limit.Bytes != 0 {
			buf = append(buf, `,"bytes":`...)
			buf = strconv.AppendInt(buf, int64(b.Limit.Bytes), 10)
		}
		buf = append(buf, '}')
	}
	return append(buf, '}')
}

func appendComponent(buf []byte, c *Component) []byte {
	buf = append(buf, `{"id":`...)
	buf = strconv.AppendUint(buf, c.ID, 10)
	buf = append(buf, `,"name":`...)
	buf = appendString(buf, c.Name)
	buf = append(buf, `,"kind":`...)
	buf = appendString(buf, c.Kind)
	buf = append(buf, `,"type":`...)
	buf = strconv.AppendInt(buf, int64(c.Type), 10)
	buf = append(buf, `,"state":`...)
	buf = appendString(buf, c.State)
	if c.Blocked != nil {
		buf = append(buf, `,"blocked":`...)
		buf = appendEndpoint(buf, c.Blocked)
	}
	buf = appendUintField(buf, `,"parent":`, c.Parent)
	buf = appendUintField(buf, `,"connection":`, c.Conn)
	if st := c.Stats; st != nil {
		buf = append(buf, `,"stats":{"bytes_in":`...)
		buf = strconv.AppendInt(buf, st.BytesIn, 10)
		buf = append(buf, `,"bytes_out":`...)
		buf = strconv.AppendInt(buf, st.BytesOut, 10)
		if st.Remote != "" {
			buf = append(buf, `,"remote":`...)
			buf = appendString(buf, st.Remote)
		}
		if len(st.Counters) > 0 {
			buf = append(buf, `,"counters":`...)
			buf = appendList(buf, st.Counters, appendCounter)
		}
		buf = append(buf, '}')
	}
	buf = append(buf, `,"inboxes":`...)
	buf = appendList(buf, c.Inboxes, appendBox)
	buf = append(buf, `,"outboxes":`...)
	buf = appendList(buf, c.Outboxes, appendBox)
	return append(buf, '}')
}

func appendCounter(buf []byte, k *Counter) []byte {
	buf = append(buf, `{"name":`...)
	buf = appendString(buf, k.Name)
	buf = append(buf, `,"value":`...)
	buf = strconv.AppendUint(buf, k.Value, 10)
	return append(buf, '}')
}

func appendBox(buf []byte, b *Box) []byte {
	buf = append(buf, `{"name":`...)
	buf = appendString(buf, b.Name)
	buf = appendIntField(buf, `,"depth":`, b.Depth)
	buf = appendIntField(buf, `,"bytes":`, b.Bytes)
	buf = appendUintField(buf, `,"received":`, b.Received)
	buf = appendUintField(buf, `,"taken":`, b.Taken)
	buf = appendIntField(buf, `,"waiting":`, b.Waiting)
	buf = appendUintField(buf, `,"overflow":`, b.Overflow)
	buf = appendUintField(buf, `,"sent":`, b.Sent)
	buf = appendUintField(buf, `,"dropped":`, b.Dropped)
	return append(buf, '}')
}

func appendEndpoint(buf []byte, e *Endpoint) []byte {
	buf = append(buf, `{"component":`...)
	buf = strconv.AppendUint(buf, e.Component, 10)
	buf = append(buf, `,"box":`...)
	buf = appendString(buf, e.Box)
	if e.Label != "" {
		buf = append(buf, `,"label":`...)
		buf = appendString(buf, e.Label)
	}
	return append(buf, '}')
}

func appendLink(buf []byte, l *Link) []byte {
	buf = append(buf, `{"from":`...)
	buf = appendEndpoint(buf, &l.From)
	buf = append(buf, `,"to":`...)
	buf = appendEndpoint(buf, &l.To)
	buf = append(buf, `,"kind":`...)
	buf = appendString(buf, l.Kind)
	buf = appendUintField(buf, `,"owner":`, l.Owner)
	return append(buf, '}')
}

func appendConnection(buf []byte, c *Connection) []byte {
	buf = append(buf, `{"id":`...)
	buf = strconv.AppendUint(buf, c.ID, 10)
	buf = appendUintField(buf, `,"server":`, c.Server)
	buf = append(buf, `,"components":`...)
	if c.Components == nil {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, '[')
		for i, id := range c.Components {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendUint(buf, id, 10)
		}
		buf = append(buf, ']')
	}
	buf = append(buf, `,"bytes_in":`...)
	buf = strconv.AppendInt(buf, c.BytesIn, 10)
	buf = append(buf, `,"bytes_out":`...)
	buf = strconv.AppendInt(buf, c.BytesOut, 10)
	if c.Remote != "" {
		buf = append(buf, `,"remote":`...)
		buf = appendString(buf, c.Remote)
	}
	return append(buf, '}')
}

// appendIntField appends key and v unless v is 0 (omitempty).
func appendIntField(buf []byte, key string, v int) []byte {
	if v == 0 {
		return buf
	}
	return strconv.AppendInt(append(buf, key...), int64(v), 10)
}

// appendUintField appends key and v unless v is 0 (omitempty).
func appendUintField(buf []byte, key string, v uint64) []byte {
	if v == 0 {
		return buf
	}
	return strconv.AppendUint(append(buf, key...), v, 10)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json does
// without HTML escaping: quotes, backslashes, control characters, U+2028
// and U+2029, and invalid UTF-8 (as U+FFFD).
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
