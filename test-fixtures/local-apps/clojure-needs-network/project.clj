;; Depends on a library of a repository no one can reach (.invalid never resolves), as Clojars is
;; from a server without internet access: the build says it needs the network.
(defproject clojure-needs-network "0.1.0"
  :dependencies [[org.clojure/clojure "1.11.1"] [hop3-fixtures/greeting "1.0"]]
  :repositories [["greeting" {:url "https://repo.invalid/greeting"}]]
  :main app.core)
