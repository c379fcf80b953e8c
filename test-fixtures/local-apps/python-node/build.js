// The "front end build": writes the page the Python back end serves.
const fs = require("node:fs");
fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/index.html", `<p>front end built by node ${process.version}</p>\n`);
