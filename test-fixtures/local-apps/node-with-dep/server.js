const http = require("node:http");
const ms = require("ms");

const server = http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`hello from node-with-dep: one day is ${ms("1d")} ms (${ms(86400000, { long: true })})\n`);
});
server.listen(Number(process.env.PORT), process.env.BIND_ADDRESS || "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
