// One writer per directory, across processes and threads. The lock is a name that the
// operating system gives to one process at a time and takes back when that process ends,
// however it ends: a socket in Linux's abstract namespace, a named pipe on Windows. Taking
// over from a process that died needs no guess about whether it died, so many processes
// racing for a lock left behind cannot both win. Elsewhere (macOS, the BSDs) the lock is
// the LOCK file alone, created exclusively and taken over when the process it names is gone.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { AtomServicesError } from '../core/errors.js';

const LOCK_FILE = 'LOCK';

/** A held lock; release() gives it back. */
export interface DirectoryLock {
  release(): void;
}

const heldHere = new Set<string>();

function lockedError(directory: string): AtomServicesError {
  let owner = 'another process or thread';
  try {
    const pid = Number.parseInt(readFileSync(`${directory}/${LOCK_FILE}`, 'utf8'), 10);
    if (Number.isInteger(pid)) owner = pid === process.pid ? 'this process' : `process ${pid}`;
  } catch {
    // the owner has not written its name yet
  }
  return new AtomServicesError('STORE_LOCKED', `the store in ${directory} is open in ${owner}; close it there first`);
}

/** The name the operating system locks for this directory, or undefined where there is none. */
function systemName(directory: string): string | undefined {
  const { dev, ino } = statSync(directory, { bigint: true });
  if (process.platform === 'linux') return `\0atomservices-lock-${dev}-${ino}`;
  if (process.platform !== 'win32') return undefined;
  const id = createHash('sha256').update(directory.toLowerCase()).digest('hex').slice(0, 32);
  return `\\\\?\\pipe\\atomservices-lock-${id}`;
}

function listen(name: string): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(undefined);
      else reject(error);
    });
    server.listen(name, () => {
      server.unref();  // holding a lock must not keep the process alive
      resolve(server);
    });
  });
}

/** Names this process in the LOCK file, whole or not at all (readers never see half a pid). */
function writeOwner(directory: string): void {
  const temporary = `${directory}/${LOCK_FILE}.${process.pid}.tmp`;
  try {
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, String(process.pid));
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, `${directory}/${LOCK_FILE}`);
  } catch (error) {
    try { unlinkSync(temporary); } catch { /* never made */ }
    throw error;
  }
}

function removeOwner(directory: string): void {
  try {
    unlinkSync(`${directory}/${LOCK_FILE}`);
  } catch {
    // already gone: nothing to release
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Where the system has no lock to offer: an exclusive LOCK file, taken over from the dead. */
function lockWithFile(directory: string): void {
  const path = `${directory}/${LOCK_FILE}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
    if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) throw lockedError(directory);
    unlinkSync(path);
  }
  throw lockedError(directory);
}

/** Takes the directory's lock, or fails with STORE_LOCKED while another process or store holds it. */
export async function lockDirectory(directory: string): Promise<DirectoryLock> {
  if (heldHere.has(directory)) throw lockedError(directory);
  heldHere.add(directory);
  let server: Awaited<ReturnType<typeof listen>>;
  try {
    const name = systemName(directory);
    server = name === undefined ? undefined : await listen(name);
    if (name !== undefined && server === undefined) throw lockedError(directory);
    if (server) writeOwner(directory);
    else lockWithFile(directory);
    return {
      release() {
        removeOwner(directory);
        server?.close();
        heldHere.delete(directory);
      },
    };
  } catch (error) {
    server?.close();  // an open that failed after taking the lock lets go of it: the next may succeed
    heldHere.delete(directory);
    throw error;
  }
}
