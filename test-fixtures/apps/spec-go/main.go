package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	addr := os.Getenv("BIND_ADDRESS") + ":" + os.Getenv("PORT")
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello from spec-go")
	})
	log.Printf("spec-go listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}
