// `tickflow secrets init|set|list|export|delete|rotate`: the encrypted secrets store (io/secrets.ts). No command
// prints a value (export writes one to a new mode-0600 file), and none takes one as an argument: the command line is
// visible to every user in `ps`.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { config } from "../../app/environment.ts";
import { SecretStore, secretsFile } from "../../io/secrets.ts";
import { describeKeySource } from "../../io/secretsKey.ts";
import { createPrivateFile } from "../../io/privateFile.ts";

/** What the commands read from and print to; tests give their own. */
export interface SecretsCliIo {
  readonly stdin: AsyncIterable<Buffer | string> & { readonly isTTY?: boolean };
  readonly print: (line: string) => void;
  readonly note: (line: string) => void;
}

const PROCESS_IO: SecretsCliIo = {
  stdin: process.stdin,
  print: (line) => console.log(line),
  note: (line) => void process.stderr.write(`${line}\n`),
};

const MAX_GENERATE_BYTES = 1024;

export function register(program: Command, io: SecretsCliIo = PROCESS_IO): void {
  const secrets = program
    .command("secrets")
    .description("secrets at rest (NATS credentials, HMAC keys), AES-256-GCM under a master key file: init, set, list, export, delete, rotate");
  const open = (create = false): SecretStore => SecretStore.open({ file: secretsFile(config().dataDir), create });

  secrets
    .command("init")
    .description("create the master key file (mode 0600) and an empty store, unless they exist")
    .action(() => {
      const store = open(true);
      if (store.createdKeyFile)
        io.print(`created the secrets key ${store.createdKeyFile} (mode 0600): keep it out of copies and backups of the data directory`);
      io.print(`secrets store ${store.file}: ${store.names().length} secret(s), master key ${store.keyId} (${describeKeySource(store.keySource)})`);
    });

  secrets
    .command("set <name>")
    .description("set a secret from stdin (one trailing newline stripped), --from-file or --generate; never from the command line")
    .option("--from-file <file>", "the value is the file's bytes (one trailing newline stripped)")
    .option("--generate <bytes>", "the value is that many random bytes, stored as twice as many lowercase hex characters")
    .action(async (name: string, o: { fromFile?: string; generate?: string }) => {
      const store = open();
      const value = await secretValue(name, o, io);
      try {
        store.set(name, value);
      } finally {
        value.fill(0);
      }
      io.print(`set ${name} (${value.length} bytes) in ${store.file}`);
    });

  secrets
    .command("export <name>")
    .description("write a secret to a new file only you can read (mode 0600; refuses to overwrite), e.g. the signing key for a subscriber")
    .requiredOption("--to-file <file>", "the file to create")
    .option("--hex", "write the value as lowercase hex (how keys files and the reference verifier take keys)")
    .action((name: string, o: { toFile: string; hex?: boolean }) => {
      const store = open();
      const value = store.get(name);
      if (value === undefined) throw new Error(`no secret ${name} in ${store.file} (tickflow secrets list shows the names)`);
      try {
        createPrivateFile(o.toFile, o.hex ? `${value.toString("hex")}\n` : value);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new Error(`${o.toFile} exists; export writes a new file only (remove it first)`);
        throw e;
      } finally {
        value.fill(0);
      }
      io.print(`wrote ${name} to ${o.toFile} (mode 0600${o.hex ? ", hex" : ""})`);
    });

  secrets
    .command("list")
    .description("list the secrets: names, sizes, last update (never values); checks that each one decrypts")
    .action(() => {
      const store = open();
      store.verify();
      const rows = store.list();
      if (rows.length === 0) {
        io.print(`no secrets in ${store.file}; add one with: tickflow secrets set <name> < value-file`);
        return;
      }
      io.print(`${rows.length} secret(s) in ${store.file}, master key ${store.keyId} (${describeKeySource(store.keySource)}):`);
      const width = Math.max(...rows.map((r) => r.name.length));
      for (const r of rows) io.print(`  ${r.name.padEnd(width)}  ${String(r.bytes).padStart(5)} bytes  updated ${r.updatedAt}`);
    });

  secrets
    .command("delete <name>")
    .description("delete a secret")
    .action((name: string) => {
      const store = open();
      if (!store.delete(name)) throw new Error(`no secret ${name} in ${store.file} (tickflow secrets list shows the names)`);
      io.print(`deleted ${name} from ${store.file}`);
    });

  secrets
    .command("rotate")
    .description("re-encrypt every secret under a new random master key and replace the key file; prints the new key id")
    .action(() => {
      const r = open().rotate();
      io.print(`rotated the secrets key: ${r.previousKeyId} -> ${r.keyId} (${r.secrets} secret(s) re-encrypted; key file ${r.keyFile})`);
    });
}

/** The value `set` stores: --generate, --from-file, or all of stdin; one trailing newline stripped from the latter two. */
export async function secretValue(name: string, o: { fromFile?: string; generate?: string }, io: Pick<SecretsCliIo, "stdin" | "note">): Promise<Buffer> {
  if (o.fromFile !== undefined && o.generate !== undefined) throw new Error("give --from-file or --generate, not both");
  let value: Buffer;
  if (o.generate !== undefined) {
    const n = Number(o.generate);
    if (!Number.isInteger(n) || n < 16 || n > MAX_GENERATE_BYTES)
      throw new Error(`--generate takes a number of bytes from 16 to ${MAX_GENERATE_BYTES}, got ${o.generate}`);
    return Buffer.from(randomBytes(n).toString("hex"), "utf8");
  }
  if (o.fromFile !== undefined) {
    try {
      value = stripNewline(readFileSync(o.fromFile));
    } catch (e) {
      throw new Error(`--from-file ${o.fromFile}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
    }
  } else {
    if (io.stdin.isTTY) io.note(`type the value of ${name}, then Enter and Ctrl-D (the terminal echoes it: prefer \`tickflow secrets set ${name} < file\`)`);
    value = await readAll(io.stdin);
  }
  if (value.length === 0) throw new Error(`the value of ${name} is empty (nothing on stdin or in the file); nothing was set`);
  return value;
}

/** All of a stream, less one trailing newline ("\n" or "\r\n"). */
export async function readAll(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === "string" ? Buffer.from(c, "utf8") : c);
  const all = Buffer.concat(chunks);
  for (const c of chunks) c.fill(0);
  return stripNewline(all);
}

function stripNewline(b: Buffer): Buffer {
  if (b[b.length - 1] !== 0x0a) return b;
  return b.subarray(0, b.length - (b[b.length - 2] === 0x0d ? 2 : 1));
}
