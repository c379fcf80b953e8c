#!/usr/bin/env node
import { processIO, runningProgram } from "@hop3/cli-kit";
import { createNixCli } from "./cli.js";

const io = processIO();
process.exitCode = await createNixCli(io.env, runningProgram()).run(process.argv.slice(2), io);
