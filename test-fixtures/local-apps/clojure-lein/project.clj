;; A web app on the JDK's own HTTP server, with Clojure as its only dependency, at the version
;; Debian's clojure package ships: Leiningen builds it offline from /usr/share/maven-repo.
(defproject clojure-lein "0.1.0"
  :description "Hop3 fixture: lein uberjar with no network"
  :dependencies [[org.clojure/clojure "1.11.1"]]
  :main hello.core
  :aot [hello.core])
