import { Inject, Injectable } from '@nestjs/common';
import { Clock, DomainError, isDomainError } from '@gatehouse/domain';
import { Config } from '../config/config';
import { CLOCK, CONFIG } from '../tokens';

const WINDOW_MS = 60_000;
const MAX_TRACKED = 100_000;
/**
 * A wrong invitation or invite-link token: those public endpoints take the token as
 * their credential, so guessing tokens counts as failing to authenticate (the token's
 * 256 bits make guessing hopeless; the limit keeps it from costing us anything either).
 */
const WRONG_TOKEN = new Set(['INVITATION.INVALID', 'INVITE_LINK.INVALID']);

/**
 * Counts failed authentications per source address in a fixed one-minute window. Past
 * the limit, further failures from that address answer 429 instead of 401 (or 400 for
 * a wrong invitation token); a valid key or token is never refused, so an attacker
 * sharing an address cannot lock good ones out.
 */
@Injectable()
export class FailedAuthLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** What to answer for `error`: a failed authentication past the limit becomes AUTH.RATE_LIMITED (429). */
  refusal(error: unknown, address: string): unknown {
    if (isDomainError(error) && (error.category === 'unauthenticated' || WRONG_TOKEN.has(error.code)) && this.fail(address)) {
      return new DomainError('AUTH.RATE_LIMITED', 'rate_limited', 'too many failed authentications from this address: wait a minute');
    }
    return error;
  }

  /** Records a failure; true when the address is now over the limit. */
  fail(address: string): boolean {
    const now = this.clock.now().getTime();
    let w = this.windows.get(address);
    if (!w || now - w.start >= WINDOW_MS) {
      if (!w && this.windows.size >= MAX_TRACKED) this.prune(now);
      w = { start: now, failures: 0 };
      this.windows.set(address, w);
    }
    w.failures++;
    return w.failures > this.config.authFailuresPerMinute;
  }

  private prune(now: number): void {
    for (const [address, w] of this.windows) if (now - w.start >= WINDOW_MS) this.windows.delete(address);
    // Still full of fresh windows: forget the oldest half rather than grow without bound.
    if (this.windows.size >= MAX_TRACKED) {
      let drop = this.windows.size / 2;
      for (const address of this.windows.keys()) {
        if (drop-- <= 0) break;
        this.windows.delete(address);
      }
    }
  }
}
