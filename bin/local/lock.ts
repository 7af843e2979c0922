import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One process at a time on a data folder. DynamoDB Local's database and the stand-ins' state
 * files belong to the process that started them: a second one would load the same files and
 * overwrite the first one's writes. The holder's pid (and, for a server, where its stack
 * listens) is kept in `<data>/lock.json`; a lock whose pid is gone is stale and taken over.
 */
export interface LockHolder {
  readonly pid: number;
  /** `server`: `npm start`; `reconcile`: `npm run reconcile` on its own stack. */
  readonly role: 'server' | 'reconcile';
  /** The data folder as the holder was given it, for messages. */
  readonly dataDir: string;
  /** Set by a server once it serves. */
  readonly url?: string;
  /** Set by a server once its stack is up: what a reconcile run talks to instead of the files. */
  readonly stack?: {
    readonly endpoints: { readonly dynamodb: string; readonly ssm: string; readonly secretsManager: string };
    readonly tableName: string;
    readonly ssmPrefix: string;
    /** True when every endpoint is the holder's own (signed with region and credentials `local`). */
    readonly local: boolean;
  };
}

export class DataFolderInUseError extends Error {
  override name = 'DataFolderInUseError';

  constructor(
    readonly holder: LockHolder,
    file: string,
  ) {
    const what =
      holder.role === 'server'
        ? `the server${holder.url ? ` on ${holder.url}` : ''} (pid ${holder.pid}): stop it first (Ctrl-C in its terminal, or kill ${holder.pid})`
        : `npm run reconcile (pid ${holder.pid}): wait for it to finish`;
    super(
      `data folder ${holder.dataDir} is in use by ${what}, or use another folder with TENANT_REGISTRY_DATA_DIR. If no such process runs, delete ${file}`,
    );
  }
}

export interface DataFolderLock {
  readonly file: string;
  /** Rewrites the holder record (atomically: readers never see half a file). */
  update(holder: LockHolder): void;
  /** Removes the lock if it is still this process's. */
  release(): void;
}

export function lockFile(dataDir: string): string {
  return join(dataDir, 'lock.json');
}

/** Takes the data folder's lock, replacing a stale one; throws DataFolderInUseError when held. */
export function lockDataFolder(dataDir: string, holder: LockHolder): DataFolderLock {
  const file = lockFile(dataDir);
  for (let attempt = 0; attempt < 5; attempt++) {
    // Written aside, then linked into place: the link fails if a lock exists, and a lock that
    // exists is always complete.
    const temp = writeTemp(file, holder);
    try {
      linkSync(temp, file);
      return held(file, holder.pid);
    } catch (error) {
      if (code(error) !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temp);
    }
    const current = readHolder(file);
    if (current && alive(current.pid)) throw new DataFolderInUseError(current, file);
    // Stale. Move it aside and look at what was moved: another process may have replaced the
    // stale lock with its own in between; that one goes back and wins.
    const aside = `${file}.${process.pid}.stale`;
    try {
      renameSync(file, aside);
    } catch (error) {
      if (code(error) === 'ENOENT') continue;
      throw error;
    }
    const moved = readHolder(aside);
    if (moved && moved.pid !== current?.pid && alive(moved.pid)) {
      try {
        linkSync(aside, file);
      } catch {
        // Yet another lock is in place: it holds the folder now.
      }
      unlinkSync(aside);
      throw new DataFolderInUseError(moved, file);
    }
    unlinkSync(aside);
  }
  throw new Error(`could not lock ${dataDir}: ${file} keeps changing`);
}

/** The live process holding the data folder, if any. */
export function lockHolder(dataDir: string): LockHolder | undefined {
  const holder = readHolder(lockFile(dataDir));
  return holder && alive(holder.pid) ? holder : undefined;
}

function held(file: string, pid: number): DataFolderLock {
  const release = () => {
    process.removeListener('exit', release);
    if (readHolder(file)?.pid !== pid) return;
    try {
      unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
  // Whatever way the process ends (short of SIGKILL), the lock goes with it; after a SIGKILL
  // the next start finds the pid dead and takes over.
  process.once('exit', release);
  return {
    file,
    update: (holder) => {
      const temp = writeTemp(file, holder);
      renameSync(temp, file);
    },
    release,
  };
}

function writeTemp(file: string, holder: LockHolder): string {
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(temp, `${JSON.stringify(holder, null, 2)}\n`, { mode: 0o600 });
  return temp;
}

function readHolder(file: string): LockHolder | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined; // absent or not ours: nobody can be shown to hold it
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { pid, role, dataDir } = value as Record<string, unknown>;
  if (
    !Number.isSafeInteger(pid) ||
    (pid as number) <= 0 ||
    (role !== 'server' && role !== 'reconcile') ||
    typeof dataDir !== 'string'
  )
    return undefined;
  return value as LockHolder;
}

/** Signal 0 checks the process exists; EPERM means it does, under another user. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return code(error) === 'EPERM';
  }
}

function code(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}
