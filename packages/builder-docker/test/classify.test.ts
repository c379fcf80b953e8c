import { describe, expect, it } from "vitest";
import { classifyDockerFailure } from "../src/index.js";

const failure = (lines: string[], dockerHost?: string) => classifyDockerFailure({ lines, exitCode: 1, appName: "web", dockerHost });

describe("classifying docker build failures", () => {
  it("an engine that is not there, naming DOCKER_HOST", () => {
    const error = failure(["Cannot connect to the Docker daemon at unix:///nope/docker.sock. Is the docker daemon running?"], "unix:///nope/docker.sock");
    expect(error.code).toBe("DOCKER_ENGINE_UNREACHABLE");
    expect(error.message).toContain("DOCKER_HOST=unix:///nope/docker.sock");
    expect(error.hint).toContain("DOCKER_HOST");
    expect(failure(["error during connect: Get \"http://%2Fx/v1.41/version\": dial unix /x: connect: no such file or directory"]).message).toContain("DOCKER_HOST is not set");
  });

  it("a Dockerfile syntax error, with Docker's line", () => {
    const error = failure(["Sending build context to Docker daemon  2MB", "Error response from daemon: dockerfile parse error line 3: unknown instruction: FROMM"]);
    expect(error.code).toBe("DOCKERFILE_INVALID");
    expect(error.message).toContain("line 3: unknown instruction: FROMM");
  });

  it("a failed step, with the last lines and without progress noise", () => {
    const error = failure([
      "Sending build context to Docker daemon  1.9MB",
      "Step 3/3 : RUN exit 3",
      " ---> Running in 0123",
      "oops",
      "The command '/bin/sh -c exit 3' returned a non-zero code: 3",
    ]);
    expect(error.code).toBe("DOCKER_BUILD_FAILED");
    expect(error.message).toContain("oops");
    expect(error.message).toContain("returned a non-zero code: 3");
    expect(error.message).not.toContain("Sending build context");
    expect(error.details.lastLines).toContain("oops");
  });
});
