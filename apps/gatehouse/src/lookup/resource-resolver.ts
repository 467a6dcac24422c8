import { Inject, Injectable } from '@nestjs/common';
import { mergeResource, ResourceAttributes } from '@gatehouse/domain';
import { PermissionCache } from '@gatehouse/permission-cache';
import { PERMISSION_CACHE } from '../tokens';

interface Named {
  action: string;
  resource?: ResourceAttributes;
}

/**
 * Lets a check name a registered resource by type and id only (issue 5): fills in the
 * registered owner, team and tags, under whatever the request gives inline (inline
 * wins). Reads the cache only for items that name an id and leave some attribute out;
 * a batch reads every such resource in one call.
 */
@Injectable()
export class ResourceResolver {
  constructor(@Inject(PERMISSION_CACHE) private readonly cache: PermissionCache) {}

  /** Whether this item needs the registry: an id, a type (given or the action's), and an attribute left out. */
  static needs(item: Named): boolean {
    const r = item.resource;
    if (!r || r.id === undefined || (r.owner !== undefined && r.team !== undefined && r.tags !== undefined)) return false;
    return typeOf(item) !== undefined;
  }

  /** The resource each item is to be evaluated with, in order (unchanged where the registry is not needed). */
  async resolve(account: string, items: ReadonlyArray<Named | null>): Promise<(ResourceAttributes | undefined)[]> {
    const wanted: { type: string; id: string }[] = [];
    const slots = new Map<string, number>();
    const slotOf = items.map((item) => {
      if (!item || !ResourceResolver.needs(item)) return -1;
      const ref = { type: typeOf(item)!, id: item.resource!.id! };
      const key = `${ref.type}\u0000${ref.id}`;
      let slot = slots.get(key);
      if (slot === undefined) slots.set(key, (slot = wanted.push(ref) - 1));
      return slot;
    });
    const records = wanted.length > 0 ? await this.cache.resources(account, wanted) : [];
    return items.map((item, i) => {
      if (!item) return undefined;
      const slot = slotOf[i];
      if (slot < 0) return item.resource;
      const record = records[slot];
      return record ? mergeResource(record, item.resource!) : item.resource;
    });
  }
}

/** The resource's type: as given, else the action's (`deployment:update` → `deployment`). */
function typeOf(item: Named): string | undefined {
  if (item.resource?.type !== undefined) return item.resource.type;
  const sep = item.action.indexOf(':');
  return sep > 0 ? item.action.slice(0, sep) : undefined;
}
