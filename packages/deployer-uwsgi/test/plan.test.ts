import { describe, expect, it } from "vitest";
import { MAX_INSTANCES, planInstances } from "@hop3/deployer-uwsgi";
import { caught, makeArtifact } from "./helpers.js";

const artifact = (workers: Record<string, string>) => makeArtifact("blog", "/srv/blog", { workers });
const keys = (plan: ReturnType<typeof planInstances>) => plan.instances.map((i) => `${i.key}${i.web ? " (web)" : ""}`);

describe("planInstances", () => {
  it("runs one instance of each process worker by default; only web gets a port", () => {
    const plan = planInstances(artifact({ web: "serve", worker: "work", clock: "tick" }), {}, false);
    expect(keys(plan)).toEqual(["web.1 (web)", "worker.1", "clock.1"]);
    expect(plan.scale).toEqual({ web: 1, worker: 1, clock: 1 });
    expect(plan.instances[0]!.command).toBe("serve");
  });

  it("scales each worker to its count, 0 included", () => {
    const plan = planInstances(artifact({ web: "serve", worker: "work" }), { web: 3, worker: 0 }, true);
    expect(keys(plan)).toEqual(["web.1 (web)", "web.2 (web)", "web.3 (web)"]);
    expect(plan.scale).toEqual({ web: 3, worker: 0 });
  });

  it("hands the static directory to the router, absolute, and runs no process for it", () => {
    expect(planInstances(artifact({ static: "public" }), {}, false)).toEqual({ instances: [], scale: {}, staticDir: "/srv/blog/public", notes: [] });
    expect(planInstances(artifact({ web: "serve", static: "/nix/store/x/public" }), {}, false).staticDir).toBe("/nix/store/x/public");
  });

  it("leaves hooks out, with a note, and schedules cron entries", () => {
    const plan = planInstances(artifact({ web: "serve", release: "migrate", cron: "0 * * * * tick" }), {}, false);
    expect(keys(plan)).toEqual(["web.1 (web)", "cron.1"]);
    expect(plan.notes).toEqual(['Worker "release" is a hook, not a daemon: this deployer does not run it.']);
  });

  it("runs wsgi, rwsgi and jwsgi workers as web workers that uWSGI loads itself", async () => {
    const plan = planInstances(artifact({ wsgi: " mysite.wsgi:application ", worker: "tick" }), { wsgi: 2 }, false);
    expect(keys(plan)).toEqual(["wsgi.1 (web)", "wsgi.2 (web)", "worker.1"]);
    expect(plan.instances[0]!.native).toEqual({ worker: "wsgi", target: "mysite.wsgi:application" });
    expect(plan.instances[2]!.native).toBeUndefined();
    expect(planInstances(artifact({ rwsgi: "config.ru" }), {}, false).instances[0]).toMatchObject({ web: true, native: { worker: "rwsgi", target: "config.ru" } });
    expect(planInstances(artifact({ jwsgi: "Hello" }), { jwsgi: 2 }, false).instances.map((i) => i.native)).toEqual([
      { worker: "jwsgi", target: "Hello" },
      { worker: "jwsgi", target: "Hello" },
    ]);
    expect((await caught(() => planInstances(artifact({ rwsgi: "app:application" }), {}, false))).code).toBe("UWSGI_RACK_FILE_INVALID");
  });

  it("notes an unknown worker in a deploy's scale, and refuses it in a scale request", async () => {
    const plan = planInstances(artifact({ web: "serve" }), { worker: 2, static: 2 }, false);
    expect(keys(plan)).toEqual(["web.1 (web)"]);
    expect(plan.notes).toEqual([
      `Scale of "worker" ignored: the app's workers are web.`,
      `Scale of "static" ignored: static is a directory the router serves.`,
    ]);
    const error = await caught(() => planInstances(artifact({ web: "serve" }), { worker: 2 }, true));
    expect(error.code).toBe("UWSGI_SCALE_INVALID");
    expect(error.message).toBe(`Cannot scale "worker": the app's workers are web.`);
  });

  it.each([-1, 1.5, MAX_INSTANCES + 1, Number.NaN])("refuses a count of %s", async (count) => {
    const error = await caught(() => planInstances(artifact({ web: "serve" }), { web: count }, true));
    expect(error.code).toBe("UWSGI_SCALE_INVALID");
    expect(error.message).toContain(`from 0 to ${MAX_INSTANCES}`);
  });
});
