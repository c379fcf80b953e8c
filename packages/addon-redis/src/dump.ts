import { createHash, type Hash } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { redisError } from "./errors.js";

/**
 * The format of an instance's dump, as AddonDump.format names it. The server is shared, so its
 * RDB holds every instance: a dump holds the instance's keys alone, each as Redis's own DUMP
 * payload (RDB-encoded, with its RDB version and CRC64) and its expiry:
 *
 *   "HOP3-REDIS-KEYS 1\n"
 *   per key:  0x01, u32 key length, key (without the instance's prefix),
 *             i64 expiry (Unix ms, -1 for none), u32 payload length, DUMP payload
 *   end:      0x00, u64 number of keys, SHA-256 of every byte before it
 *
 * Integers are big-endian. Expiries are absolute, as in an RDB file: a key that expired since the
 * backup is not restored.
 */
export const DUMP_FORMAT = "hop3-redis-keys-v1";

const MAGIC = Buffer.from("HOP3-REDIS-KEYS 1\n");
const RECORD = 0x01;
const END = 0x00;
const DIGEST_BYTES = 32;

/** One key of a dump. */
export interface DumpRecord {
  /** The key without the instance's prefix. */
  readonly key: Buffer;
  /** When it expires (Unix ms), or -1. */
  readonly expireAt: number;
  readonly payload: Buffer;
}

/** Writes a dump record by record, then renames it into place: a dump is whole or absent. */
export class DumpWriter {
  private readonly temporary: string;
  private readonly fd: number;
  private readonly hash: Hash = createHash("sha256");
  private count = 0;
  private bytes = 0;

  constructor(private readonly file: string) {
    this.temporary = join(dirname(file), `.tmp-${basename(file)}-${process.pid}`);
    this.fd = openSync(this.temporary, "w", 0o600);
    this.write(MAGIC);
  }

  add(record: DumpRecord): void {
    const head = Buffer.alloc(1 + 4);
    head.writeUInt8(RECORD, 0);
    head.writeUInt32BE(record.key.length, 1);
    const middle = Buffer.alloc(8 + 4);
    middle.writeBigInt64BE(BigInt(record.expireAt), 0);
    middle.writeUInt32BE(record.payload.length, 8);
    this.write(Buffer.concat([head, record.key, middle, record.payload]));
    this.count++;
  }

  /** Writes the end and the checksum, and puts the file in place; returns its size. */
  finish(): number {
    const end = Buffer.alloc(1 + 8);
    end.writeUInt8(END, 0);
    end.writeBigUInt64BE(BigInt(this.count), 1);
    this.write(end);
    const digest = this.hash.digest();
    writeSync(this.fd, digest);
    fsyncSync(this.fd);
    closeSync(this.fd);
    renameSync(this.temporary, this.file);
    return this.bytes + digest.length;
  }

  /** Leaves nothing behind after a failure. */
  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      // closed already
    }
    rmSync(this.temporary, { force: true });
  }

  private write(bytes: Buffer): void {
    writeSync(this.fd, bytes);
    this.hash.update(bytes);
    this.bytes += bytes.length;
  }
}

/**
 * Reads a whole dump and checks it (format, every length, the count, the SHA-256) before anyone
 * acts on it: a damaged or truncated file is REDIS_DUMP_INVALID, whatever part is damaged.
 */
export function parseDump(content: Buffer, file: string): DumpRecord[] {
  const bad = (why: string) => redisError("REDIS_DUMP_INVALID", `${file} is not a whole Redis dump of Hop3 (${DUMP_FORMAT}): ${why}.`, { details: { file, bytes: content.length } });
  if (content.length < MAGIC.length + 9 + DIGEST_BYTES || !content.subarray(0, MAGIC.length).equals(MAGIC)) throw bad("it does not start with this format's header");
  const bodyEnd = content.length - DIGEST_BYTES;
  const digest = createHash("sha256").update(content.subarray(0, bodyEnd)).digest();
  if (!digest.equals(content.subarray(bodyEnd))) throw bad("its SHA-256 checksum does not match (damaged or truncated)");
  const records: DumpRecord[] = [];
  let at = MAGIC.length;
  const need = (bytes: number) => {
    if (at + bytes > bodyEnd) throw bad("a record runs past the end");
  };
  for (;;) {
    need(1);
    const tag = content.readUInt8(at++);
    if (tag === END) break;
    if (tag !== RECORD) throw bad(`unknown record type ${tag}`);
    need(4);
    const keyLength = content.readUInt32BE(at);
    at += 4;
    need(keyLength + 12);
    const key = content.subarray(at, at + keyLength);
    at += keyLength;
    const expireAt = Number(content.readBigInt64BE(at));
    const payloadLength = content.readUInt32BE(at + 8);
    at += 12;
    need(payloadLength);
    records.push({ key, expireAt, payload: content.subarray(at, at + payloadLength) });
    at += payloadLength;
  }
  need(8);
  const count = content.readBigUInt64BE(at);
  at += 8;
  if (at !== bodyEnd) throw bad("bytes follow its end");
  if (count !== BigInt(records.length)) throw bad(`it announces ${count} keys and holds ${records.length}`);
  return records;
}
