package main

import (
	"github.com/spf13/cobra"
)

// newRoot returns the kamaelia command with its subcommands, wired to e.
func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "kamaelia",
		Short: "Kamaelia's network components, wired into a tool",
		Long: `Kamaelia's network components, wired into a tool: a server (echo, or a
chat room shared through NATS), a TCP proxy, a client that joins stdin
and stdout to a server, and a file sender.

Exit status, for every command: 0 on success; 1 on failure, with a
one-line reason on stderr; 2 for a bad command line; 3 when serve or
forward had to reset connections at the end of its grace; 130 when
interrupted.`,
		Example: `  kamaelia serve                          # echo server on 127.0.0.1:1601
  kamaelia connect 127.0.0.1 1601         # type, and see it echoed
  kamaelia serve --protocol chat          # one room: nc 127.0.0.1 1601 in two terminals
  kamaelia forward --to example.org:80    # a proxy on 127.0.0.1:1603
  kamaelia send --rate 1MiB big.iso 127.0.0.1 1601
  source <(kamaelia completion bash)      # complete commands and flags`,
		Version:                    version(),
		SuggestionsMinimumDistance: 2,
		SilenceErrors:              true, // exitStatus reports them
		SilenceUsage:               true,
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetVersionTemplate("kamaelia {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	root.SetHelpCommand(helpCommand())
	e.logs.register(root)
	root.AddCommand(newServeCommand(e), newForwardCommand(e), newConnectCommand(e), newSendCommand(e))
	root.InitDefaultCompletionCmd() // cobra's, made now to be checked as root is
	for _, c := range []*cobra.Command{root, findCommand(root, "completion")} {
		needsCommand(c)
	}
	return root
}

// needsCommand makes cmd, a command of commands, want one of them: none
// given, or one it does not have, is a usage error (cobra would print
// the help and exit 0).
func needsCommand(cmd *cobra.Command) {
	cmd.SuggestionsMinimumDistance = 2
	cmd.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return unknownCommand(cmd, args[0])
		}
		return nil
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		return usagef(cmd, commandList(cmd), "no command given")
	}
}

// findCommand returns the command of root called name.
func findCommand(root *cobra.Command, name string) *cobra.Command {
	for _, c := range root.Commands() {
		if c.Name() == name {
			return c
		}
	}
	panic("no command " + name)
}

// helpCommand is "kamaelia help [COMMAND]": cobra's, except that an
// unknown topic is a usage error (exit 2) with a suggestion.
func helpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Args:  cobra.ArbitraryArgs,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var names []string
			for _, c := range cmd.Root().Commands() {
				if c.IsAvailableCommand() {
					names = append(names, c.Name()+"\t"+c.Short)
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target, rest, err := cmd.Root().Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				return unknownCommand(cmd.Root(), args[0])
			}
			return target.Help()
		},
	}
}
