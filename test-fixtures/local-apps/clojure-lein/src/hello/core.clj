(ns hello.core
  (:import (com.sun.net.httpserver HttpHandler HttpServer)
           (java.net InetSocketAddress))
  (:gen-class))

(defn- handler []
  (reify HttpHandler
    (handle [_ exchange]
      (let [body (.getBytes "hello from clojure-lein\n" "UTF-8")]
        (.set (.getResponseHeaders exchange) "Content-Type" "text/plain")
        (.sendResponseHeaders exchange 200 (alength body))
        (with-open [out (.getResponseBody exchange)]
          (.write out body))))))

(defn -main [& _]
  (let [address (or (System/getenv "BIND_ADDRESS") "127.0.0.1")
        port (Integer/parseInt (System/getenv "PORT"))
        server (HttpServer/create (InetSocketAddress. address port) 0)]
    (.createContext server "/" (handler))
    (.start server)))
