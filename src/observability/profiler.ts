/** Heap snapshots and CPU profiles of this process through node:inspector, for `profiler-address`. */
import { Session } from 'node:inspector';

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => {
    session.post(method, params ?? {}, (error, result) => {
      if (error) reject(error);
      else resolve(result as T);
    });
  });
}

/** A V8 heap snapshot (`.heapsnapshot` JSON, loadable in Chrome DevTools). */
export async function heapSnapshot(): Promise<string> {
  const session = new Session();
  session.connect();
  const chunks: string[] = [];
  session.on('HeapProfiler.addHeapSnapshotChunk', (message) => {
    chunks.push(message.params.chunk);
  });
  try {
    await post(session, 'HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    return chunks.join('');
  } finally {
    session.disconnect();
  }
}

/** A CPU profile over `durationMs` (`.cpuprofile` JSON, loadable in Chrome DevTools). */
export async function cpuProfile(durationMs: number): Promise<string> {
  const session = new Session();
  session.connect();
  try {
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.start');
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    const { profile } = await post<{ profile: unknown }>(session, 'Profiler.stop');
    return JSON.stringify(profile);
  } finally {
    session.disconnect();
  }
}
