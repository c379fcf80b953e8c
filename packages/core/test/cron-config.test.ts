// Cron workers in the three formats: Procfile, hop3.toml (both dialects) and runtime.json.
import { describe, expect, it } from "vitest";
import { cronFieldValues, Hop3Error, normalizeConfig, parseHop3Toml, parseProcfile, parseRuntimeJson } from "@hop3/core";

const lines = (...rows: string[]) => rows.join("\n");
const config = (toml: string, procfile = "") => normalizeConfig(parseHop3Toml(toml, "hop3.toml"), parseProcfile(procfile), { hop3Toml: "hop3.toml", procfile: "Procfile" }, toml);

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
  } catch (error) {
    return Hop3Error.is(error) ? error.code : String(error);
  }
  return undefined;
};

describe("cron workers", () => {
  it("keeps Procfile cron entries as workers, several per app, with their command spacing", () => {
    const { workers, cron } = config("", lines("web: ./serve", "cron: */5 * * * * echo 'a  b'", "cron2: 0 3 * * 1-5 ./nightly"));
    expect(workers).toEqual({ web: "./serve", cron: "*/5 * * * * echo 'a  b'", cron2: "0 3 * * 1-5 ./nightly" });
    expect(cron.map((job) => [job.name, job.schedule, job.command])).toEqual([
      ["cron", "*/5 * * * *", "echo 'a  b'"],
      ["cron2", "0 3 * * 1-5", "./nightly"],
    ]);
  });

  it("reads hop3.toml [run.workers] cron entries, and hop3.toml wins over the Procfile", () => {
    const { workers, cron } = config(lines("[run.workers]", 'cron = "0 * * * * ./hourly"'), "cron: * * * * * ./every-minute");
    expect(workers.cron).toBe("0 * * * * ./hourly");
    expect(cron.map((job) => job.command)).toEqual(["./hourly"]);
  });

  it("turns the catalogue dialect's [scheduler] into cron-<job> workers, in both of its forms", () => {
    const { workers, warnings } = config(lines("[scheduler]", 'job = { schedule = "*/5 * * * *", command = "./cron.sh" }', 'housekeeping = "15,45 * * * *"', 'housekeeping_command = "./h.sh"'));
    expect(workers).toEqual({ "cron-job": "*/5 * * * * ./cron.sh", "cron-housekeeping": "15,45 * * * * ./h.sh" });
    expect(warnings).toEqual([]);
  });

  it.each([
    ["a newline that would start an ini directive", 'cron = "*/1 * * * *\\n[uwsgi]\\nuid = 0"'],
    ["a sixth field smuggled in the schedule", 'cron = "* * * * *,unique=0 ./job"'],
    ["an hour out of range", 'cron = "0 24 * * * ./job"'],
    ["four fields", 'cron = "* * * * ./job"'],
    ["no command", 'cron = "* * * * *"'],
  ])("refuses %s, naming the file and line", (_what, entry) => {
    let error: unknown;
    try {
      config(lines("[run.workers]", entry));
    } catch (caught) {
      error = caught;
    }
    expect(Hop3Error.is(error) && error.code).toBe("PROCFILE_CRON_INVALID");
    expect((error as Error).message).toContain("hop3.toml line 2");
  });

  it("refuses a [scheduler] job without its command", () => {
    expect(codeOf(() => config(lines("[scheduler]", 'job = "* * * * *"')))).toBe("CONFIG_INVALID_VALUE");
  });

  it("checks cron workers of runtime.json as the Procfile's", () => {
    expect(parseRuntimeJson('{"workers": {"web": "x", "cron": "*/2 * * * * ./tick"}}').runtime.workers.cron).toBe("*/2 * * * * ./tick");
    expect(codeOf(() => parseRuntimeJson('{"workers": {"cron": "*/2 * *\\n * * ./tick"}}'))).toBe("PROCFILE_CRON_INVALID");
    expect(codeOf(() => parseRuntimeJson('{"workers": {"cron": "61 * * * * ./tick"}}'))).toBe("PROCFILE_CRON_INVALID");
  });

  it("expands a field into its values as cron reads it", () => {
    expect(cronFieldValues("*/15", 0, 59)).toEqual([0, 15, 30, 45]);
    expect(cronFieldValues("*/2", 1, 31).slice(0, 3)).toEqual([1, 3, 5]);
    expect(cronFieldValues("1-5,0", 0, 7)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(cronFieldValues("10-20/5", 0, 59)).toEqual([10, 15, 20]);
    expect(cronFieldValues("50/5", 0, 59)).toEqual([50, 55]);
    expect(cronFieldValues("7", 0, 7)).toEqual([7]);
  });
});
