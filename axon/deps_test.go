package axon_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The component model knows nothing of networking: no package it
// imports, directly or not, is a networking one. Socket messages and
// adapters live in package internet.
func TestImportsNoNetworking(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to list the imports with")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, part := range strings.Split(dep, "/") {
			if part == "net" || part == "tls" || part == "http" {
				t.Errorf("axon depends on %s", dep)
				break
			}
		}
	}
}
