// hop3-run: the one program the Swarm deployer adds to an app's image, statically linked so it
// runs in any image (even FROM scratch). Three roles:
//
//	hop3-run exec ENVFILE -- CMD...      sets the app's environment from a Swarm secret, then runs CMD
//	hop3-run health URL TIMEOUT STRICT [CONTAINS]   the release health check, as a HEALTHCHECK
//	hop3-run forward LISTEN SERVICE PORT  the app's edge: each connection to a live task of SERVICE
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail("usage: hop3-run exec|health|forward ...")
	}
	switch os.Args[1] {
	case "exec":
		runExec(os.Args[2:])
	case "health":
		runHealth(os.Args[2:])
	case "forward":
		runForward(os.Args[2:])
	default:
		fail("unknown role " + os.Args[1])
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "hop3-run: "+message)
	os.Exit(2)
}

// The secret is a JSON object of names to values: no quoting rules, no shell.
func runExec(args []string) {
	if len(args) < 3 || args[1] != "--" {
		fail("usage: hop3-run exec ENVFILE -- CMD...")
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		fail("cannot read the app's environment: " + err.Error())
	}
	var vars map[string]string
	if err := json.Unmarshal(data, &vars); err != nil {
		fail("the app's environment is not a JSON object: " + err.Error())
	}
	for name, value := range vars {
		os.Setenv(name, value)
	}
	command := args[2:]
	path := command[0]
	if !strings.Contains(path, "/") {
		if found, err := exec.LookPath(path); err == nil {
			path = found
		}
	}
	if err := syscall.Exec(path, command, os.Environ()); err != nil {
		fail("cannot run " + command[0] + ": " + err.Error())
	}
}

// Same rules as Hop3's health gate: a declared check must answer 2xx/3xx (and contain its text),
// otherwise anything below 500 is up.
func runHealth(args []string) {
	if len(args) < 3 {
		fail("usage: hop3-run health URL TIMEOUT STRICT [CONTAINS]")
	}
	seconds, err := strconv.ParseFloat(args[1], 64)
	if err != nil {
		fail("bad timeout " + args[1])
	}
	client := http.Client{Timeout: time.Duration(seconds * float64(time.Second)), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	answer, err := client.Get(args[0])
	if err != nil {
		fail(err.Error())
	}
	body, _ := io.ReadAll(io.LimitReader(answer.Body, 1<<20))
	answer.Body.Close()
	strict := args[2] == "strict"
	ok := answer.StatusCode < 500
	if strict {
		ok = answer.StatusCode >= 200 && answer.StatusCode < 400
	}
	if len(args) > 3 && !strings.Contains(string(body), args[3]) {
		ok = false
	}
	if !ok {
		fail(fmt.Sprintf("HTTP %d", answer.StatusCode))
	}
}

// Each connection goes to one of the service's tasks (dnsrr: the name resolves to every live
// task), trying the others when one refuses: a task stopping during an update loses no request.
func runForward(args []string) {
	if len(args) != 3 {
		fail("usage: hop3-run forward LISTEN SERVICE PORT")
	}
	listener, err := net.Listen("tcp", args[0])
	if err != nil {
		fail(err.Error())
	}
	for {
		conn, err := listener.Accept()
		if err != nil {
			continue
		}
		go forward(conn, args[1], args[2])
	}
}

func forward(client net.Conn, service string, port string) {
	defer client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		addresses, _ := net.LookupHost(service)
		rand.Shuffle(len(addresses), func(i, j int) { addresses[i], addresses[j] = addresses[j], addresses[i] })
		for _, address := range addresses {
			upstream, err := net.DialTimeout("tcp", net.JoinHostPort(address, port), time.Second)
			if err != nil {
				continue
			}
			defer upstream.Close()
			done := make(chan struct{}, 2)
			go func() { io.Copy(upstream, client); closeWrite(upstream); done <- struct{}{} }()
			go func() { io.Copy(client, upstream); closeWrite(client); done <- struct{}{} }()
			<-done
			<-done
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func closeWrite(conn net.Conn) {
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.CloseWrite()
	}
}
