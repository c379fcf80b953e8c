require "socket"

# A minimal HTTP server on $BIND_ADDRESS:$PORT, from the standard library only.
server = TCPServer.new(ENV.fetch("BIND_ADDRESS", "127.0.0.1"), Integer(ENV.fetch("PORT")))
Signal.trap("TERM") { exit }
loop do
  client = server.accept
  while (line = client.gets) && line != "\r\n"; end
  body = "hello from ruby-empty-gemfile on ruby #{RUBY_VERSION} (bundle: #{ENV['BUNDLE_GEMFILE']})\n"
  client.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: #{body.bytesize}\r\nConnection: close\r\n\r\n#{body}")
  client.close
end
