import { PermissionCache, ResourceRef, SubjectRef, SubjectsRead } from '@gatehouse/permission-cache';

type Change = (read: SubjectsRead, refs: readonly SubjectRef[]) => SubjectsRead;

/**
 * Puts `change` between the check path and the cache's subject reads: both the promise
 * read and, for a cache in this process, the synchronous one the check path prefers
 * (PermissionCache.subjectsSync), so a fault reaches whichever road a request takes.
 * `change` gets the real read and answers with it, another, or throws. With `changes`,
 * the next reads go through one change each, in order, and later reads are left alone.
 * Undone by jest.restoreAllMocks().
 */
export function interceptSubjects(cache: PermissionCache, ...changes: Change[]): void {
  const once = changes.length > 1;
  let next = 0;
  const pick = (): Change | null => (once ? (changes[next++] ?? null) : changes[0]);
  const original = cache.subjects.bind(cache);
  jest.spyOn(cache, 'subjects').mockImplementation(async (account: string, refs: readonly SubjectRef[], resources?: readonly ResourceRef[]) => {
    const change = pick();
    const read = await original(account, refs, resources);
    return change ? change(read, refs) : read;
  });
  if (cache.subjectsSync) {
    const originalSync = cache.subjectsSync.bind(cache);
    jest.spyOn(cache as Required<PermissionCache>, 'subjectsSync').mockImplementation((account: string, refs: readonly SubjectRef[], resources?: readonly ResourceRef[]) => {
      const change = pick();
      const read = originalSync(account, refs, resources);
      return change ? change(read, refs) : read;
    });
  }
}

/** A change that throws `error` instead of answering. */
export const failWith =
  (error: Error): Change =>
  () => {
    throw error;
  };
