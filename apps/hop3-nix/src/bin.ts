#!/usr/bin/env node
import { processIO } from "@hop3/cli";
import { createNixCli } from "./cli.js";

const io = processIO();
process.exitCode = await createNixCli(io.env).run(process.argv.slice(2), io);
