// Test-only entry: tcp-get with a fault injected through its run() hooks,
// which shipping code never reads from the environment. Run it like the real
// entry, inside a namespace: tsx test/helpers/tcp-get-with-fault.ts FAULT ARGS...
//   crash-after-firewall    an uncaught exception once the --block-kernel-rst rule is in
//   signal-before-cleanup   a SIGTERM to itself once the transfer is over, before the rule is removed
import { processEnv, processIo, type FaultHooks } from '../../src/cli/command-io.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import { runTcpGetCommand } from '../../src/cli/tcp-get-command.ts';

const FAULTS: Record<string, FaultHooks> = {
  'crash-after-firewall': {
    afterFirewallInstalled: () =>
      setImmediate(() => {
        throw new Error('injected crash after the firewall rule');
      }),
  },
  'signal-before-cleanup': {
    beforeCleanup: () => process.kill(process.pid, 'SIGTERM'),
  },
};

const [fault, ...args] = process.argv.slice(2);
const faults = FAULTS[fault];
if (!faults) throw new Error(`unknown fault '${fault}' (${Object.keys(FAULTS).join(', ')})`);
runCli('tcp-get', () => runTcpGetCommand(args, processIo(), { ...processEnv(), faults }));
