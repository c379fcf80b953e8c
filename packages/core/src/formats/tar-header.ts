/**
 * The header blocks of one regular file in a POSIX tar (ustar, with a pax record for what ustar
 * cannot hold: a path longer than its fields or not ASCII, a size of 8 GiB or more). Written here
 * rather than through tar-stream's pack so a backup can be written with plain positional reads and
 * writes, one read of each file; archives are still read back with tar-stream, and GNU tar reads them.
 */

export const TAR_BLOCK = 512;
/** The largest size ustar's 11 octal digits hold. */
const USTAR_MAX_SIZE = 8 ** 11 - 1;

export interface TarFileHeader {
  readonly name: string;
  readonly size: number;
  readonly mode: number;
  readonly mtime: Date;
}

/** The header block(s) of a regular file: a pax header first when ustar cannot hold it. */
export function tarFileHeader(header: TarFileHeader): Buffer {
  const records: string[] = [];
  const name = Buffer.from(header.name, "utf8");
  const ascii = /^[\x20-\x7e]*$/.test(header.name);
  let ustarName = name;
  let prefix = Buffer.alloc(0);
  if (!ascii || name.length > 100) {
    const split = ascii ? splitForUstar(header.name) : undefined;
    if (split === undefined) {
      records.push(paxRecord("path", header.name));
      ustarName = name.subarray(0, 100);
    } else {
      [prefix, ustarName] = [Buffer.from(split.prefix), Buffer.from(split.name)];
    }
  }
  if (header.size > USTAR_MAX_SIZE) records.push(paxRecord("size", String(header.size)));
  const ustar = block({ name: ustarName, prefix, size: Math.min(header.size, USTAR_MAX_SIZE), mode: header.mode, mtime: header.mtime, type: "0" });
  if (records.length === 0) return ustar;
  const pax = Buffer.from(records.join(""), "utf8");
  const paxHeader = block({ name: Buffer.from("PaxHeader"), prefix: Buffer.alloc(0), size: pax.length, mode: 0o644, mtime: header.mtime, type: "x" });
  return Buffer.concat([paxHeader, pax, Buffer.alloc(padding(pax.length)), ustar]);
}

/** Zero bytes that fill an entry's data up to its last block. */
export const padding = (size: number): number => (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;

/** The two zero blocks that end an archive. */
export const tarEnd = (): Buffer => Buffer.alloc(2 * TAR_BLOCK);

/** ustar's own way to hold a path up to 256 bytes: a prefix (≤ 155) and a name (≤ 100) cut at a `/`. */
function splitForUstar(path: string): { prefix: string; name: string } | undefined {
  for (let cut = path.indexOf("/"); cut !== -1; cut = path.indexOf("/", cut + 1)) {
    if (cut <= 155 && path.length - cut - 1 <= 100 && cut > 0 && cut < path.length - 1) return { prefix: path.slice(0, cut), name: path.slice(cut + 1) };
  }
  return undefined;
}

/** "<length> <key>=<value>\n", where the length counts its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyBytes = Buffer.byteLength(body);
  let length = bodyBytes + String(bodyBytes).length;
  if (String(length).length + bodyBytes !== length) length += 1;
  return `${length}${body}`;
}

function block(fields: { name: Buffer; prefix: Buffer; size: number; mode: number; mtime: Date; type: "0" | "x" }): Buffer {
  const out = Buffer.alloc(TAR_BLOCK);
  fields.name.copy(out, 0);
  octal(out, 100, 8, fields.mode);
  octal(out, 108, 8, 0); // uid
  octal(out, 116, 8, 0); // gid
  octal(out, 124, 12, fields.size);
  octal(out, 136, 12, Math.floor(fields.mtime.getTime() / 1000));
  out.write(fields.type, 156, "ascii");
  out.write("ustar\x0000", 257, "ascii");
  fields.prefix.copy(out, 345);
  out.fill(" ", 148, 156); // the checksum is summed with its own field as spaces
  let sum = 0;
  for (const byte of out) sum += byte;
  octal(out, 148, 7, sum);
  return out;
}

/** A number in octal, zero-padded to width - 1 digits and a NUL. */
function octal(out: Buffer, offset: number, width: number, value: number): void {
  out.write(`${value.toString(8).padStart(width - 1, "0")}\0`, offset, "ascii");
}
