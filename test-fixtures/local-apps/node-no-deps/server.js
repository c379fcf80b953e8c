const http = require("node:http");

const server = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`hello from ${process.env.APP_LABEL || "node-no-deps"} on node ${process.version}\n`);
});
server.listen(Number(process.env.PORT), process.env.BIND_ADDRESS || "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
