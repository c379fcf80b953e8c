import { formatSize, LIMIT_NAMES, type AppLimits } from "../host/limits.js";

/** Limits in words: "memory 1G, processes 512, open files 16384". */
export const limitsText = (limits: AppLimits): string =>
  (Object.keys(LIMIT_NAMES) as Array<keyof AppLimits>)
    .filter((key) => limits[key] !== undefined)
    .map((key) => `${LIMIT_NAMES[key]} ${key === "memoryBytes" ? readableSize(limits[key]!) : key === "cpus" ? `${limits[key]} core(s)` : limits[key]}`)
    .join(", ") || "none";

/** Bytes for people: exact when a whole number of a unit (1G), else rounded (18.8G, from 80% of the RAM). */
export function readableSize(bytes: number): string {
  const exact = formatSize(bytes);
  if (/[KMGT]$/.test(exact) || bytes < 1024) return exact;
  const [unit, size] = ([["T", 1024 ** 4], ["G", 1024 ** 3], ["M", 1024 ** 2], ["K", 1024]] as const).find(([, size]) => bytes >= size)!;
  return `${(bytes / size).toFixed(1)}${unit}`;
}
