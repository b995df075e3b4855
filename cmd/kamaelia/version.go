package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version says what the binary was built from, as the build recorded
// it: the module version ("v1.2.0" after go install ...@v1.2.0,
// "(devel)" for a build in a working tree), the commit when the build
// knew it, and the Go release and platform.
func version() string {
	v := "(unknown)"
	if info, ok := debug.ReadBuildInfo(); ok {
		v = info.Main.Version
		if v == "" {
			v = "(devel)"
		}
		var rev, modified string
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					modified = ", modified"
				}
			}
		}
		if rev != "" {
			v += fmt.Sprintf(" (commit %.12s%s)", rev, modified)
		}
	}
	return fmt.Sprintf("%s %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
