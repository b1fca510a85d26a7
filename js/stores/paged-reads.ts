// Reads of many events made of several answers of the core, each of which stops at
// maxAnswerBytes (at least one event): a log of large events is read in pieces, and a read
// still gives every event it asked for.
import { limits } from '../core/core.js';
import type { IEvent, PositionedEvent, ReadAllOptions, ReadStreamOptions } from '../types.js';

/** One answer's text: an answer this long may have stopped at the byte limit (UTF-8 is at most 3 bytes a UTF-16 unit). */
function mayBeCut(text: string): boolean {
  return text.length * 3 >= limits().maxAnswerBytes;
}

async function inPages<T, O extends { limit?: number }>(options: O | undefined, read: (options: O | undefined) => Promise<string>,
  next: (options: O, last: T) => O | undefined): Promise<T[]> {
  let text = await read(options);  // the core checks the options given
  const events = JSON.parse(text) as T[];
  let asked = options;
  while (events.length > 0 && mayBeCut(text)) {
    const wanted = (options?.limit ?? Infinity) - events.length;
    const following = wanted > 0 ? next({ ...(asked ?? {}) as O }, events[events.length - 1] as T) : undefined;
    if (!following) break;
    if (Number.isFinite(wanted)) following.limit = wanted;
    asked = following;
    text = await read(following);
    const page = JSON.parse(text) as T[];
    if (page.length === 0) break;
    for (const event of page) events.push(event);
  }
  return events;
}

export function readAllInPages(options: ReadAllOptions | undefined, read: (options: ReadAllOptions | undefined) => Promise<string>): Promise<PositionedEvent[]> {
  return inPages<PositionedEvent, ReadAllOptions>(options, read, (asked, last) => ({ ...asked, fromPosition: last.position + 1 }));
}

export function readStreamInPages(options: ReadStreamOptions | undefined, read: (options: ReadStreamOptions | undefined) => Promise<string>): Promise<IEvent[]> {
  return inPages<IEvent, ReadStreamOptions>(options, read, (asked, last) => {
    if (asked.direction !== 'backward') return { ...asked, fromVersion: last._version + 1 };
    return last._version > (asked.fromVersion ?? 1) ? { ...asked, toVersion: last._version - 1 } : undefined;
  });
}
