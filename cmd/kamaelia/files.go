package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// path returns where the file name is: relative to e.dir when that is
// set and name is relative, else name itself.
func (e *env) path(name string) string {
	if e.dir == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(e.dir, name)
}

// open opens the file name for reading (see path). An error names the
// file as it was given.
func (e *env) open(name string) (*os.File, error) {
	f, err := os.Open(e.path(name))
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		pe.Path = name
	}
	return f, err
}

// readFile returns the contents of the file name (see open).
func (e *env) readFile(name string) ([]byte, error) {
	f, err := e.open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
