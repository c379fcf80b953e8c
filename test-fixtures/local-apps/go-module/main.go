package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	addr := os.Getenv("BIND_ADDRESS")
	if addr == "" {
		addr = "127.0.0.1"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from go-module")
	})
	if err := http.ListenAndServe(addr+":"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
