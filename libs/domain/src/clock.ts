/** Time and identity are injected so that deciders and tests are exact. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface IdGenerator {
  /** A new opaque id with the given prefix, e.g. `usr_01J…`. */
  next(prefix: string): string;
  /** A new UUID, for event ids. */
  uuid(): string;
}
