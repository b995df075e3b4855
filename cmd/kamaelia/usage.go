package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// usageError is a mistake in a command line. It is reported in at most
// three lines, what was wrong, a suggestion and where to read more, and
// the command exits 2.
type usageError struct {
	cmd  *cobra.Command
	what string // what was wrong
	hint string // a suggestion: "did you mean ...", or the usage line
}

func (u *usageError) Error() string { return u.what }

// usagef returns a usageError of cmd; hint "" suggests cmd's usage line.
func usagef(cmd *cobra.Command, hint, format string, args ...any) error {
	if hint == "" {
		hint = "Usage: " + cmd.UseLine()
	}
	return &usageError{cmd: cmd, what: fmt.Sprintf(format, args...), hint: hint}
}

// lines returns the report of u.
func (u *usageError) lines() []string {
	return []string{
		u.cmd.CommandPath() + ": " + u.what,
		u.hint,
		fmt.Sprintf("Run '%s --help' for more.", u.cmd.CommandPath()),
	}
}

// exitError ends a command with status code. Its err, if not nil, is
// reported on stderr in one line; nil means it has been reported.
type exitError struct {
	code int
	err  error
}

func (x *exitError) Error() string {
	if x.err == nil {
		return fmt.Sprintf("exit status %d", x.code)
	}
	return x.err.Error()
}

func (x *exitError) Unwrap() error { return x.err }

// failure is a runtime failure: exit status 1, err reported in one line.
func failure(err error) error { return &exitError{code: exitFailure, err: err} }

// errInterrupted is the reason a command that a signal stopped gives.
var errInterrupted = errors.New("interrupted")

// exitStatus reports err, what cmd returned (or cobra, for a command line
// it could not make sense of), on stderr and returns the exit status.
func (e *env) exitStatus(cmd *cobra.Command, err error) int {
	var (
		ue *usageError
		xe *exitError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintln(e.stderr, strings.Join(ue.lines(), "\n"))
		return exitUsage
	case errors.As(err, &xe):
		if xe.err != nil {
			e.console(cmd).Error(oneLine(xe.err.Error()))
		}
		return xe.code
	}
	// cobra's own complaints are about the command line.
	if cmd == nil {
		cmd = newRoot(e)
	}
	fmt.Fprintln(e.stderr, strings.Join((&usageError{cmd: cmd, what: err.Error(), hint: "Usage: " + cmd.UseLine()}).lines(), "\n"))
	return exitUsage
}

// flagError turns what the flag parser said into a usageError with a
// suggestion: the flag meant, or the usage of the flag given.
func flagError(cmd *cobra.Command, err error) error {
	var (
		missing  *pflag.NotExistError
		noValue  *pflag.ValueRequiredError
		badValue *pflag.InvalidValueError
	)
	switch {
	case errors.As(err, &missing):
		if name := missing.GetSpecifiedName(); name != "" {
			return usagef(cmd, didYouMean(flagNames(cmd), name, "--"), "unknown flag --%s", name)
		}
		return usagef(cmd, "", "unknown flag -%s", missing.GetSpecifiedShortnames())
	case errors.As(err, &noValue):
		return usagef(cmd, flagUsage(noValue.GetFlag()), "flag --%s needs a value", noValue.GetFlag().Name)
	case errors.As(err, &badValue):
		cause := err.Error()
		if u := badValue.Unwrap(); u != nil {
			cause = u.Error()
		}
		return usagef(cmd, flagUsage(badValue.GetFlag()), "bad --%s %q: %s", badValue.GetFlag().Name, badValue.GetValue(), cause)
	}
	return usagef(cmd, "", "%v", err)
}

// flagUsage is one line saying what a flag takes.
func flagUsage(f *pflag.Flag) string {
	name, usage := pflag.UnquoteUsage(f)
	return fmt.Sprintf("--%s %s: %s", f.Name, name, usage)
}

// flagNames lists the flags cmd takes, its own and inherited.
func flagNames(cmd *cobra.Command) []string {
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	cmd.InheritedFlags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	return names
}

// positional returns the argument check of a command that takes exactly
// the named positional arguments.
func positional(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return usagef(cmd, "", "missing %s", strings.Join(names[len(args):], " "))
		case len(args) > len(names):
			return usagef(cmd, "", "unexpected argument %q", args[len(names)])
		}
		return nil
	}
}

// unknownCommand is the usage error for a command name cmd lacks.
func unknownCommand(cmd *cobra.Command, name string) error {
	hint := commandList(cmd)
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		hint = "Did you mean " + strings.Join(s, " or ") + "?"
	}
	return usagef(cmd, hint, "unknown command %q", name)
}

// commandList names cmd's commands.
func commandList(cmd *cobra.Command) string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	return "Commands: " + strings.Join(names, ", ")
}

// didYouMean suggests the candidates close to typed (a distance of at
// most 2, or a prefix of it), each written with prefix; "" if none is.
func didYouMean(candidates []string, typed, prefix string) string {
	var close []string
	for _, c := range candidates {
		if c == typed {
			continue
		}
		if editDistance(c, typed) <= 2 || (len(typed) >= 2 && strings.HasPrefix(c, typed)) {
			close = append(close, prefix+c)
		}
	}
	if len(close) == 0 {
		return ""
	}
	return "Did you mean " + strings.Join(close, " or ") + "?"
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
