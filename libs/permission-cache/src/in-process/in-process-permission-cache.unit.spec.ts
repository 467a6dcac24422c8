import { describePermissionCacheContract } from '../testing/permission-cache.contract';
import { InProcessPermissionCache } from './in-process-permission-cache';

describePermissionCacheContract('in-process', async () => {
  const cache = new InProcessPermissionCache();
  return { cache, cleanup: () => cache.close() };
});
