// The end-to-end suites run once per socket binding: the lab's Linux binding
// (kernel timestamps) and raw-socket (JS clocks). The tools read
// PACKET_LAB_SOCKET, which the runs they start inherit. Without the Linux
// binding built only raw-socket runs, except under CI=true, where the Linux
// block runs and fails.
import { afterAll, beforeAll } from 'vitest';
import { linuxBindingUnavailableReason } from '../../src/net/linux-raw-socket.ts';
import type { SocketBinding } from '../../src/net/packet-socket.ts';

export const TESTED_BINDINGS: readonly SocketBinding[] =
  process.env.CI === 'true' || !linuxBindingUnavailableReason() ? ['linux', 'raw-socket'] : ['raw-socket'];

/** Inside a describe block: the tools started in it use `binding`; the variable is restored after. */
export function useSocketBinding(binding: SocketBinding): void {
  const saved = process.env.PACKET_LAB_SOCKET;
  beforeAll(() => {
    process.env.PACKET_LAB_SOCKET = binding;
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.PACKET_LAB_SOCKET;
    else process.env.PACKET_LAB_SOCKET = saved;
  });
}
