package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"
)

// logFlags are the root's --log-format and --log-level: every command
// logs, and reports its failure, in the format asked for.
type logFlags struct {
	format logFormat
	level  logLevel
}

// logFormat is the value of --log-format.
type logFormat string

var logFormats = []string{"text", "json"}

func (f *logFormat) String() string { return string(*f) }
func (f *logFormat) Type() string   { return "format" }
func (f *logFormat) Set(s string) error {
	if !slices.Contains(logFormats, s) {
		return fmt.Errorf("want %s", strings.Join(logFormats, " or "))
	}
	*f = logFormat(s)
	return nil
}

// logLevel is the value of --log-level: slog's levels, written in
// lower case.
type logLevel slog.Level

var logLevels = []string{"debug", "info", "warn", "error"}

func (l *logLevel) String() string { return strings.ToLower(slog.Level(*l).String()) }
func (l *logLevel) Type() string   { return "level" }
func (l *logLevel) Set(s string) error {
	var v slog.Level
	if err := v.UnmarshalText([]byte(s)); err != nil {
		return fmt.Errorf("want %s", strings.Join(logLevels, ", "))
	}
	*l = logLevel(v)
	return nil
}

// Level makes a logLevel an slog.Leveler.
func (l *logLevel) Level() slog.Level { return slog.Level(*l) }

// register adds the flags to root, for it and every command under it.
func (l *logFlags) register(root *cobra.Command) {
	l.format, l.level = "text", logLevel(slog.LevelInfo)
	fs := root.PersistentFlags()
	fs.Var(&l.format, "log-format", "write logs and errors on stderr as text or json (one object a line)")
	fs.Var(&l.level, "log-level", "log from this level on: debug, info, warn or error")
	_ = root.RegisterFlagCompletionFunc("log-format", cobra.FixedCompletions(logFormats, cobra.ShellCompDirectiveNoFileComp))
	_ = root.RegisterFlagCompletionFunc("log-level", cobra.FixedCompletions(logLevels, cobra.ShellCompDirectiveNoFileComp))
}

// logger returns serve's logger: each record with its time and level,
// as logfmt text or as JSON.
func (e *env) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: &e.logs.level, ReplaceAttr: dropNil}
	if e.logs.format == "json" {
		return slog.New(slog.NewJSONHandler(e.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(e.stderr, opts))
}

// console returns the logger of a command's notes and its failure, for
// a person at a console: in text, "kamaelia connect: what happened",
// without time or level; in JSON, records naming the command.
func (e *env) console(cmd *cobra.Command) *slog.Logger { return e.consoleTo(cmd, e.stderr) }

// consoleTo is console writing to w.
func (e *env) consoleTo(cmd *cobra.Command, w io.Writer) *slog.Logger {
	name := "kamaelia"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	if e.logs.format == "json" {
		opts := &slog.HandlerOptions{Level: &e.logs.level, ReplaceAttr: dropNil}
		return slog.New(slog.NewJSONHandler(w, opts)).With("command", name)
	}
	return slog.New(&consoleHandler{w: w, mu: new(sync.Mutex), prefix: name + ": ", level: &e.logs.level})
}

// dropNil leaves out attributes whose value is nil, such as the cause
// of a connection that ended cleanly: a log line never says "<nil>".
func dropNil(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindAny && a.Value.Any() == nil {
		return slog.Attr{}
	}
	return a
}

// consoleHandler writes each record as one line: a prefix, the message,
// then its attributes as key=value.
type consoleHandler struct {
	w      io.Writer
	mu     *sync.Mutex
	prefix string
	level  slog.Leveler
	attrs  string // " key=value" for each attribute added by WithAttrs
	group  string // "group." for the group added by WithGroup
}

func (h *consoleHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *consoleHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(h.prefix)
	b.WriteString(r.Message)
	b.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		b.WriteString(h.attr(a))
		return true
	})
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

// attr formats a as " key=value"; "" for an empty or nil one.
func (h *consoleHandler) attr(a slog.Attr) string {
	a = dropNil(nil, a)
	if a.Equal(slog.Attr{}) {
		return ""
	}
	return fmt.Sprintf(" %s%s=%s", h.group, a.Key, a.Value.Resolve())
}

func (h *consoleHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	for _, a := range attrs {
		c.attrs += h.attr(a)
	}
	return &c
}

func (h *consoleHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.group += name + "."
	return &c
}
