package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kamaelia-go/kamaelia/introspect"
)

// debugServe is a running "kamaelia serve" with --debug-addr.
type debugServe struct {
	*serveProc
	debugURL string // from its DEBUG line
}

// serveDebug starts "kamaelia serve --port 0" with args (which include
// --debug-addr) and reads its two lines: LISTENING, then DEBUG.
func serveDebug(t testing.TB, env []string, args ...string) *debugServe {
	t.Helper()
	p := start(t, nil, env, append([]string{"serve", "--port", "0"}, args...)...)
	lines := make(chan []string, 1)
	go func() {
		r := bufio.NewReader(p.stdout)
		var got []string
		for range 2 {
			s, err := r.ReadString('\n')
			if err != nil {
				break
			}
			got = append(got, strings.TrimSuffix(s, "\n"))
		}
		lines <- got
		io.Copy(io.Discard, r)
	}()
	var got []string
	select {
	case got = <-lines:
	case <-time.After(testDeadline):
		t.Fatalf("no LISTENING and DEBUG lines; stderr:\n%s", p.stderr)
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "LISTENING ") || !strings.HasPrefix(got[1], "DEBUG http://") || !strings.HasSuffix(got[1], "/") {
		t.Fatalf("stdout %q, want LISTENING host:port then DEBUG http://host:port/; stderr:\n%s", got, p.stderr)
	}
	return &debugServe{
		serveProc: &serveProc{proc: p, addr: strings.TrimPrefix(got[0], "LISTENING ")},
		debugURL:  strings.TrimPrefix(got[1], "DEBUG "),
	}
}

// get fetches a URL and returns its status and body.
func get(t testing.TB, u string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := http.Client{Timeout: testDeadline}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestServeDebugAddr(t *testing.T) {
	t.Parallel()
	s := serveDebug(t, nil, "--debug-addr", "127.0.0.1:0")
	u, err := url.Parse(s.debugURL)
	if err != nil || u.Hostname() != "127.0.0.1" || u.Port() == "0" || u.Path != "/" {
		t.Fatalf("DEBUG line %q: want http://127.0.0.1:port/ with the port chosen", s.debugURL)
	}
	c := echoOnce(t, s.addr, "seen from inside\n")
	code, body := get(t, s.debugURL+"debug/graph.json")
	var g introspect.Graph
	if err := json.Unmarshal([]byte(body), &g); code != 200 || err != nil {
		t.Fatalf("graph.json: %d %v\n%.300s", code, err, body)
	}
	kinds := map[string]int{}
	for _, comp := range g.Components {
		kinds[comp.Kind]++
	}
	if kinds["ServerCore"] != 1 || kinds["CSA"] != 1 || kinds["Echo"] != 1 || len(g.Connections) != 1 {
		t.Errorf("the graph has %v and %d connections; want the server and one connection", kinds, len(g.Connections))
	}
	for path, want := range map[string]string{"": "<svg", "metrics": "kamaelia_connections_open 1", "debug/pprof/": "goroutine"} {
		if code, body := get(t, s.debugURL+path); code != 200 || !strings.Contains(body, want) {
			t.Errorf("/%s: %d, no %q", path, code, want)
		}
	}
	if strings.Contains(s.stderr.String(), "loopback") {
		t.Errorf("a warning about loopback for a loopback address:\n%s", s.stderr)
	}
	c.Close()
	s.stop(t)
	if _, err := net.Dial("tcp", u.Host); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("after serve ended, dialling the debug address: %v, want refused", err)
	}
}

// TestServeDebugAddrWithoutHost checks that ":0" serves on 127.0.0.1.
func TestServeDebugAddrWithoutHost(t *testing.T) {
	t.Parallel()
	s := serveDebug(t, nil, "--debug-addr", ":0")
	if !strings.HasPrefix(s.debugURL, "http://127.0.0.1:") {
		t.Errorf("--debug-addr :0 serves on %s, want 127.0.0.1", s.debugURL)
	}
	s.stop(t)
}

// TestServeDebugToken serves off loopback with a token: serve warns,
// and every request needs the token.
func TestServeDebugToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  []string
		args []string
	}{
		{"flag", nil, []string{"--debug-addr", "0.0.0.0:0", "--debug-token", "s3cret"}},
		{"environment", []string{"KAMAELIA_DEBUG_TOKEN=s3cret"}, []string{"--debug-addr", "0.0.0.0:0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := serveDebug(t, tc.env, tc.args...)
			u, _ := url.Parse(s.debugURL)
			base := "http://127.0.0.1:" + u.Port() + "/"
			if code, _ := get(t, base+"debug/graph.json"); code != http.StatusUnauthorized {
				t.Errorf("without the token: %d, want 401", code)
			}
			if code, _ := get(t, base+"nope"); code != http.StatusUnauthorized {
				t.Errorf("an unknown path without the token: %d, want 401", code)
			}
			if code, _ := get(t, base+"debug/graph.json", "Authorization", "Bearer s3cret"); code != 200 {
				t.Errorf("with the token in a header: %d, want 200", code)
			}
			if code, body := get(t, base+"?token=s3cret"); code != 200 || !strings.Contains(body, "<svg") {
				t.Errorf("the page with ?token=: %d", code)
			}
			if !strings.Contains(s.stderr.String(), "off loopback") {
				t.Errorf("no warning on stderr:\n%s", s.stderr)
			}
			s.stop(t)
		})
	}
}

func TestServeDebugBadUsage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"non-loopback without a token", []string{"--debug-addr", "0.0.0.0:6060"}, "--debug-token"},
		{"a host name without a token", []string{"--debug-addr", "example.org:6060"}, "not a loopback"},
		{"token without an address", []string{"--debug-token", "x"}, "needs --debug-addr"},
		{"no port", []string{"--debug-addr", "127.0.0.1"}, "bad --debug-addr"},
		{"bad port", []string{"--debug-addr", ":99999"}, "bad --debug-addr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runKamaelia(t, "", append([]string{"serve", "--port", "0"}, tc.args...)...)
			first, rest, _ := strings.Cut(r.stderr, "\n")
			if r.code != exitUsage || !strings.Contains(first, tc.want) || !strings.HasPrefix(rest, "Usage:") || r.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 2 and one line about %q, then the usage", r.code, r.stdout, r.stderr, tc.want)
			}
		})
	}
}

// TestServeDebugAddrInUse fails before serving when the debug address
// is taken.
func TestServeDebugAddrInUse(t *testing.T) {
	t.Parallel()
	ln := listen(t)
	r := runKamaelia(t, "", "serve", "--port", "0", "--debug-addr", ln.Addr().String())
	if r.code != exitFailure || r.stdout != "" || !strings.Contains(r.stderr, "debug") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 before LISTENING, naming the debug address", r.code, r.stdout, r.stderr)
	}
}

// TestServeDebugShutdownInProcess shuts serve down while a live page
// watches: serve still ends, and its debug listener is closed.
func TestServeDebugShutdownInProcess(t *testing.T) {
	t.Parallel()
	outR, outW := io.Pipe()
	e, _, errs := testEnv(nil)
	e.stdout = outW
	ctx, cancel := contextWithCancel(t)
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"serve", "--port", "0", "--debug-addr", "127.0.0.1:0", "--log-level", "warn"})
		outW.Close()
	}()
	r := bufio.NewReader(outR)
	var lines []string
	for range 2 {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("stdout %q: %v; stderr: %s", lines, err, errs)
		}
		lines = append(lines, strings.TrimSpace(line))
	}
	go io.Copy(io.Discard, r)
	debugURL := strings.TrimPrefix(lines[1], "DEBUG ")
	resp, err := http.Get(debugURL + "debug/events") // a live page, which never ends by itself
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if line, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || !strings.HasPrefix(line, "retry:") {
		t.Fatalf("events: %q, %v", line, err)
	}

	cancel() // as SIGTERM does
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d; stderr: %s", code, errs)
		}
	case <-time.After(testDeadline):
		t.Fatal("serve did not shut down while a live page watched")
	}
	io.Copy(io.Discard, resp.Body) // the live page ended with serve
	// The debug port is free again. Another listener (of a test beside
	// this one, or of another test binary) may be given it as soon as
	// it is free, so a port taken again is only a failure if this
	// serve's debug server still answers on it.
	u, _ := url.Parse(debugURL)
	ln, err := net.Listen("tcp", u.Host)
	if err == nil {
		ln.Close()
		return
	}
	probe := &http.Client{Timeout: 2 * time.Second}
	if resp, perr := probe.Get(debugURL + "debug/graph.dot"); perr == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), "digraph") {
			t.Fatalf("the debug server still answers after serve ended (listen: %v)", err)
		}
	}
	t.Logf("the debug port was taken again, not by this serve's debug server: %v", err)
}
