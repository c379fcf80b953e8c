import { readFileSync } from "node:fs";
import { childrenOf } from "@hop3/core";
import { processTitle } from "./procfs.js";

/**
 * True when nginx's serving workers lack a group their user has gained since they started. nginx
 * sets a worker's groups once, when it starts it (initgroups), so a worker started before an app's
 * group listed the web user cannot read that app's files until nginx reloads.
 */
export function workersLackGroups(master: number, user: string, groupFile = "/etc/group"): boolean {
  const wanted = groupsListing(user, groupFile);
  if (wanted.length === 0) return false;
  return servingWorkers(master).some((pid) => {
    const held = groupsOf(pid);
    return held !== undefined && wanted.some((gid) => !held.has(gid));
  });
}

/** The master's workers that serve (not the old ones finishing their requests after a reload). */
const servingWorkers = (master: number): number[] => childrenOf(master).filter((pid) => processTitle(pid).startsWith("nginx: worker process") && !processTitle(pid).includes("shutting down"));

/** The ids of the groups whose member list names the user, from /etc/group. */
function groupsListing(user: string, groupFile: string): number[] {
  let text: string;
  try {
    text = readFileSync(groupFile, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").flatMap((line) => {
    const [, , gid, members] = line.split(":");
    return members !== undefined && members.split(",").includes(user) ? [Number(gid)] : [];
  });
}

/** The supplementary groups of a process, from /proc/<pid>/status; undefined when it is gone. */
function groupsOf(pid: number): Set<number> | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("Groups:"));
    return new Set((line ?? "").slice("Groups:".length).trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    return undefined;
  }
}
