# A Rack app with no gem of its own: uWSGI's rack plugin loads this file (Procfile `rwsgi: config.ru`).
run lambda { |env|
  [200, { "content-type" => "text/plain" }, ["hello from rack as #{ENV.fetch("USER", "?")}, #{env["PATH_INFO"]}\n"]]
}
