import { defineCommand } from "@hop3/cli-kit";

export const doctorCommand = defineCommand({
  name: ["doctor"],
  summary: "Check what is installed (uWSGI's plugins too), how apps are isolated and limited, and what starts at boot",
  usage: "hop3 doctor [--json]",
  async run({ io }) {
    // Works without loading the plugins: it is what to run when they do not load. Its reports
    // (uWSGI's plugins, certificates, the server's setup) load here, not when hop3 starts.
    const { doctorReport } = await import("./doctor-report.js");
    return doctorReport(io);
  },
});
