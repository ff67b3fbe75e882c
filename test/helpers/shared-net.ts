// One TestNet for a whole test file: the before/after pair every namespace test file needs.
import { after, before } from 'node:test';

import { TestNet, type Host } from './netns.js';

export interface SharedNetOptions {
  /** After the namespaces exist, before the first test (nftables rules, a relay, ...). */
  setUp?: (net: TestNet) => Promise<void>;
  /** After the last test, before the namespaces go. */
  tearDown?: () => Promise<void>;
}

/**
 * Creates the two namespaces before the file's first test and deletes them after its last. Its
 * hosts `a` and `b` can be read from the tests (and hooks registered after this call) on.
 */
export function sharedTestNet(options: SharedNetOptions = {}): { readonly a: Host; readonly b: Host } {
  let net: TestNet | undefined;
  before(async () => {
    net = await TestNet.create();
    await options.setUp?.(net);
  });
  after(async () => {
    await options.tearDown?.();
    await net?.destroy();
  });
  const current = (): TestNet => {
    if (!net) throw new Error("the test network exists only from the file's before hook on");
    return net;
  };
  return {
    get a() {
      return current().a;
    },
    get b() {
      return current().b;
    },
  };
}
