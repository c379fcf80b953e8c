(ns app.core (:gen-class))

(defn -main [& _] (println "never built"))
