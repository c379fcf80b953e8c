import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { defineBench } from "@hop3/bench";
import { readBackupArchive, writeBackupArchive, type ArchiveInput } from "../src/index.js";

const execFileAsync = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), "h3bk-"));
const source = join(root, "source");
const archive = join(root, "backup.tar");
const byHand = join(root, "by-hand.tar");
const staging = join(root, "staging");
const untarred = join(root, "untarred");
// A 50 MB source: 20 directories of 25 files of 100 KB (incompressible: tar does not compress either).
const FILES = Array.from({ length: 500 }, (_, i) => `dir${Math.floor(i / 25)}/file${i % 25}.bin`);
const inputs: ArchiveInput[] = FILES.map((path) => ({ path: `source/${path}`, from: { file: join(source, path), within: source } }));
const header = {
  id: "bench-20261206T000000Z-0000",
  app: "bench",
  createdAt: new Date().toISOString(),
  hop3Version: "bench",
  release: { id: "r", builder: "local", deployer: "uwsgi" },
  addons: [],
};

const fresh = (dir: string) => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
};

// Throughput of the archive itself: what `backup create` writes (each file copied and hashed once, the manifest
// first) and what `backup restore` verifies before anything changes, against tar doing the same.
export default defineBench({
  name: "backups",
  async setup() {
    for (const path of FILES) {
      mkdirSync(join(source, path, ".."), { recursive: true });
      writeFileSync(join(source, path), randomBytes(100 * 1024));
    }
    await writeBackupArchive(archive, header, inputs);
    await execFileAsync("tar", ["-cf", byHand, "-C", source, "."]);
    return () => rmSync(root, { recursive: true, force: true });
  },
  cases: [
    {
      name: "50 MB source: write the archive",
      subject: { label: "writeBackupArchive (backup create)", run: () => writeBackupArchive(join(root, "out.tar"), header, inputs) },
      baseline: { label: "tar -cf", run: () => execFileAsync("tar", ["-cf", join(root, "out-by-hand.tar"), "-C", source, "."]) },
      iterations: 5,
      goal: "ratio <= 3 (one read and a sha256 of every byte)",
    },
    {
      name: "50 MB source: verify and unpack the archive",
      subject: { label: "readBackupArchive (backup restore's verify)", run: () => readBackupArchive(archive, staging) },
      baseline: { label: "tar -xf", run: () => execFileAsync("tar", ["-xf", byHand, "-C", untarred]) },
      beforeEach: () => {
        fresh(staging);
        fresh(untarred);
      },
      iterations: 5,
      goal: "ratio <= 3 (a sha256 of every byte)",
    },
  ],
  notes: () => ["a database's dump and restore against pg_dump and pg_restore by hand: packages/addon-postgres/bench/addons.bench.ts."],
});
